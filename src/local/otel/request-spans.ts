import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { RequestSpan, RequestTracer } from '../../http/request-context.ts';

/**
 * Server spans from our own request middleware rather than @opentelemetry/instrumentation-http:
 * that one patches node:http and cannot know the route pattern or the image id, which the
 * middleware has at hand, and it would add a span per outgoing webhook delivery too.
 */
export function otelRequestTracer(tracer: Tracer): RequestTracer {
  return {
    start(method, path, header) {
      const parent = callerContext(header);
      // Named by its route once answered (semantic conventions: `{method} {route}`).
      const span = tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: path },
        },
        parent,
      );
      const active = trace.setSpan(parent, span);
      const handle: RequestSpan = {
        run: (handlers) => context.with(active, handlers),
        end({ route, status, requestId, imageId }) {
          if (route !== 'unmatched') {
            const pattern = openApiPath(route);
            span.updateName(`${method} ${pattern}`);
            span.setAttribute(ATTR_HTTP_ROUTE, pattern);
          }
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
          span.setAttribute('request.id', requestId);
          if (imageId) span.setAttribute('image.id', imageId);
          // A 4xx is the caller's doing; only a 5xx is the server's error (semantic conventions).
          if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
      return handle;
    },
  };
}

/** The caller's trace when it sent a `traceparent`; extracting costs nothing otherwise. */
function callerContext(header: (name: string) => string | undefined): Context {
  const traceparent = header('traceparent');
  if (!traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent };
  const tracestate = header('tracestate');
  if (tracestate) carrier.tracestate = tracestate;
  return propagation.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/** Hono's `/images/:imageId` as the OpenAPI document and the semantic conventions write it. */
function openApiPath(route: string): string {
  return route.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
}

/** The active span's W3C `traceparent`, to carry with a job (the request's span, in a handler). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}
