import type { SearchTerms } from '../../core/analyze-image.ts';
import {
  type ImageErrorInfo,
  type ImageRecord,
  type ImageStatus,
  type ImageSummary,
  type ImageType,
  type Steps,
  type Variant,
  withAllSteps,
} from '../../core/image.ts';
import type { StateChange, TransitionField } from '../../core/image-state.ts';
import type { ImageRepository, ListQuery, NewImage, StepUpdate } from '../../ports/image-repository.ts';
import type { ImageVersions } from '../../ports/image-versions.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

interface ImageRow {
  image_id: string;
  tenant: string;
  file_name: string;
  file_type: string;
  size: number | null;
  status: string;
  steps: string;
  attempts: number;
  message: string;
  error: string | null;
  metadata: string | null;
  placeholder: string | null;
  analysis: string | null;
  variants: string;
  created_at: number;
  uploaded_at: number | null;
  started_at: number | null;
  processed_at: number | null;
  updated_at: number;
  expires_at: number | null;
}

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toRecord(row: ImageRow): ImageRecord {
  return {
    imageId: row.image_id,
    tenant: row.tenant,
    fileName: row.file_name,
    fileType: row.file_type as ImageType,
    size: row.size,
    status: row.status as ImageStatus,
    steps: withAllSteps(JSON.parse(row.steps) as Partial<Steps>),
    attempts: row.attempts,
    message: row.message,
    error: json<ImageErrorInfo>(row.error),
    metadata: json(row.metadata),
    placeholder: json(row.placeholder),
    analysis: json(row.analysis),
    variants: JSON.parse(row.variants) as Variant[],
    createdAt: row.created_at,
    uploadedAt: row.uploaded_at,
    startedAt: row.started_at,
    processedAt: row.processed_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

/** The columns a list item needs (ImageSummary); one list for the SQL and the row type. */
const SUMMARY_FIELDS = [
  'image_id',
  'tenant',
  'file_name',
  'file_type',
  'size',
  'status',
  'variants',
  'created_at',
  'uploaded_at',
] as const;
const SUMMARY_COLUMNS = SUMMARY_FIELDS.map((column) => `i.${column}`).join(', ');
type SummaryRow = Pick<ImageRow, (typeof SUMMARY_FIELDS)[number]>;

function toSummary(row: SummaryRow): ImageSummary {
  return {
    imageId: row.image_id,
    tenant: row.tenant,
    fileName: row.file_name,
    fileType: row.file_type as ImageType,
    size: row.size,
    status: row.status as ImageStatus,
    variants: JSON.parse(row.variants) as Variant[],
    createdAt: row.created_at,
    uploadedAt: row.uploaded_at,
  };
}

/**
 * The list query for a page. With a label or object filter the page is read from that
 * term's index entries, which are already in list order. A text-only search starts from the
 * trigram index (CROSS JOIN fixes that order) and sorts the matches: scanning every image
 * newest first and testing its text would read the whole tenant for a rare word.
 */
function listSql(query: ListQuery): string {
  const joins: string[] = [];
  const term = (alias: string, kind: string) =>
    joins.push(
      `JOIN image_terms ${alias} ON ${alias}.tenant = @tenant AND ${alias}.kind = '${kind}' AND ${alias}.term = @${kind}
       AND ${alias}.image_id = i.image_id AND ${alias}.created_at = i.created_at`,
    );
  if (query.label !== undefined) term('l', 'label');
  if (query.object !== undefined) term('o', 'object');
  const by = query.label !== undefined ? 'l' : query.object !== undefined ? 'o' : 'i';
  let from = 'images i';
  if (query.text !== undefined) {
    const textMatch = "x.text LIKE @text ESCAPE '\\'";
    if (by === 'i') from = `image_text x CROSS JOIN images i ON i.rowid = x.rowid AND ${textMatch}`;
    else joins.push(`JOIN image_text x ON x.rowid = i.rowid AND ${textMatch}`);
  }
  const where = [`${by}.tenant = @tenant`, 'i.tenant = @tenant'];
  if (query.status) where.push('i.status = @status');
  if (query.after) where.push(`(${by}.created_at, ${by}.image_id) < (@afterCreatedAt, @afterImageId)`);
  return `SELECT ${SUMMARY_COLUMNS} FROM ${from} ${joins.join(' ')} WHERE ${where.join(' AND ')}
    ORDER BY ${by}.created_at DESC, ${by}.image_id DESC LIMIT @limit`;
}

/** The column each transition field is stored in. */
const TRANSITION_COLUMNS: Record<TransitionField, string> = {
  size: 'size',
  attempts: 'attempts',
  message: 'message',
  error: 'error',
  uploadedAt: 'uploaded_at',
  startedAt: 'started_at',
  processedAt: 'processed_at',
  updatedAt: 'updated_at',
  expiresAt: 'expires_at',
};

/**
 * One conditional UPDATE for a state-machine transition. The SQL depends only on the shape
 * of the change (which fields, how many steps and from-states), so it is prepared once per
 * shape; the values are parameters.
 */
function transitionSql(change: StateChange): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { to: change.to };
  const sets = ['status = @to'];
  for (const [field, value] of Object.entries(change.set) as [TransitionField, unknown][]) {
    sets.push(`${TRANSITION_COLUMNS[field]} = @${field}`);
    params[field] = field === 'error' && value !== null ? JSON.stringify(value) : value;
  }
  const steps = Object.entries(change.steps ?? {});
  if (steps.length > 0) {
    const paths = steps.map((_, i) => `'$.' || @step${i}, @state${i}`).join(', ');
    sets.push(`steps = json_set(steps, ${paths})`);
    steps.forEach(([step, state], i) => {
      params[`step${i}`] = step;
      params[`state${i}`] = state;
    });
  }
  // An upload claim only means something while the image is pending.
  if (change.from.includes('pending')) sets.push('upload_claimed_at = NULL');
  const where = ['image_id = @imageId', `status IN (${change.from.map((_, i) => `@from${i}`).join(', ')})`];
  change.from.forEach((status, i) => {
    params[`from${i}`] = status;
  });
  if (change.attemptsBelow !== undefined) {
    where.push('attempts < @attemptsBelow');
    params.attemptsBelow = change.attemptsBelow;
  }
  return { sql: `UPDATE images SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING *`, params };
}

/**
 * Image records in SQLite; statements are prepared once per connection. Every write runs
 * inside the image's version bracket (when versions are given), which read caches check.
 */
export class SqliteImageRepository implements ImageRepository {
  private readonly stmt;
  /** Statements whose SQL depends on the call (list filters, which columns a step sets). */
  private readonly dynamicStatements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly versions?: ImageVersions,
  ) {
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO images (image_id, tenant, file_name, file_type, status, steps, message, created_at, updated_at)
         VALUES (@imageId, @tenant, @fileName, @fileType, 'pending', @steps, 'Waiting for upload', @createdAt, @createdAt)`,
      ),
      get: db.prepare<[string, string], ImageRow>('SELECT * FROM images WHERE tenant = ? AND image_id = ?'),
      getById: db.prepare<[string], ImageRow>('SELECT * FROM images WHERE image_id = ?'),
      delete: db.prepare<[string, string]>('DELETE FROM images WHERE tenant = ? AND image_id = ?'),
      claim: db.prepare<[number, string, number]>(
        `UPDATE images SET upload_claimed_at = ? WHERE image_id = ? AND status = 'pending'
         AND (upload_claimed_at IS NULL OR upload_claimed_at < ?)`,
      ),
      release: db.prepare<[string]>(
        `UPDATE images SET upload_claimed_at = NULL WHERE image_id = ? AND status = 'pending'`,
      ),
      expired: db.prepare<[number, number, number], { tenant: string; image_id: string }>(
        `SELECT tenant, image_id FROM images WHERE expires_at IS NOT NULL AND expires_at <= ?
         UNION ALL
         SELECT tenant, image_id FROM images WHERE status = 'pending' AND created_at < ?
         LIMIT ?`,
      ),
      clearTerms: db.prepare<[string]>('DELETE FROM image_terms WHERE image_id = ?'),
      addTerm: db.prepare(
        `INSERT OR IGNORE INTO image_terms (tenant, kind, term, created_at, image_id)
         VALUES (@tenant, @kind, @term, @createdAt, @imageId)`,
      ),
      clearText: db.prepare<[string]>(
        'DELETE FROM image_text WHERE rowid = (SELECT rowid FROM images WHERE image_id = ?)',
      ),
      addText: db.prepare<[string, string]>(
        'INSERT INTO image_text (rowid, text) SELECT rowid, ? FROM images WHERE image_id = ?',
      ),
      recent: db.prepare<[], { avg: number | null }>(
        `SELECT AVG(processed_at - started_at) AS avg FROM (
           SELECT processed_at, started_at FROM images
           WHERE status = 'completed' AND processed_at IS NOT NULL AND started_at IS NOT NULL
           ORDER BY processed_at DESC LIMIT 50)`,
      ),
    };
  }

  /** Runs a write to this image's record inside its version bracket (see ImageVersions). */
  private write<T>(imageId: string, change: () => T): T {
    return this.versions ? this.versions.write(imageId, change) : change();
  }

  async create(image: NewImage): Promise<void> {
    this.write(image.imageId, () => this.stmt.insert.run({ ...image, steps: JSON.stringify(image.steps) }));
  }

  async get(tenant: string, imageId: string): Promise<ImageRecord | null> {
    const row = this.stmt.get.get(tenant, imageId);
    return row ? toRecord(row) : null;
  }

  async getById(imageId: string): Promise<ImageRecord | null> {
    const row = this.stmt.getById.get(imageId);
    return row ? toRecord(row) : null;
  }

  private prepared(sql: string) {
    let statement = this.dynamicStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.dynamicStatements.set(sql, statement);
    }
    return statement;
  }

  async list(query: ListQuery): Promise<ImageSummary[]> {
    const rows = this.prepared(listSql(query)).all({
      tenant: query.tenant,
      status: query.status,
      afterCreatedAt: query.after?.createdAt,
      afterImageId: query.after?.imageId,
      label: query.label?.toLowerCase(),
      object: query.object?.toLowerCase(),
      text: query.text === undefined ? undefined : `%${query.text.replace(/[\\%_]/g, '\\$&')}%`,
      limit: query.limit,
    }) as SummaryRow[];
    return rows.map(toSummary);
  }

  async delete(tenant: string, imageId: string): Promise<boolean> {
    return this.write(imageId, () => this.stmt.delete.run(tenant, imageId)).changes === 1;
  }

  async claimUpload(imageId: string, now: number): Promise<boolean> {
    // A claim older than 15 minutes belongs to a transfer that died without releasing it.
    return this.write(imageId, () => this.stmt.claim.run(now, imageId, now - 15 * 60_000)).changes === 1;
  }

  async releaseUpload(imageId: string): Promise<void> {
    this.write(imageId, () => this.stmt.release.run(imageId));
  }

  async transition(imageId: string, change: StateChange): Promise<ImageRecord | null> {
    const { sql, params } = transitionSql(change);
    const row = this.write(imageId, () => this.prepared(sql).get({ ...params, imageId })) as
      | ImageRow
      | undefined;
    return row ? toRecord(row) : null;
  }

  async updateStep(imageId: string, update: StepUpdate, now: number): Promise<boolean> {
    // One transaction: read-modify-write of the JSON columns must not interleave with a delete.
    const apply = this.db.transaction(() => {
      const row = this.stmt.getById.get(imageId);
      if (row?.status !== 'processing') return false;
      const steps = { ...(JSON.parse(row.steps) as Steps), [update.step]: update.state };
      const variants = new Set([...(JSON.parse(row.variants) as Variant[]), ...(update.variants ?? [])]);
      const sets = ['steps = @steps', 'variants = @variants', 'updated_at = @now', 'message = @message'];
      const params: Record<string, unknown> = {
        imageId,
        now,
        steps: JSON.stringify(steps),
        variants: JSON.stringify([...variants]),
        message: `Processing: ${update.step} ${update.state}`,
      };
      for (const field of ['metadata', 'placeholder', 'analysis'] as const) {
        if (update[field] !== undefined) {
          sets.push(`${field} = @${field}`);
          params[field] = JSON.stringify(update[field]);
        }
      }
      this.prepared(`UPDATE images SET ${sets.join(', ')} WHERE image_id = @imageId`).run(params);
      if (update.terms) this.index(row.tenant, imageId, row.created_at, update.terms);
      return true;
    });
    return this.write(imageId, () => apply.immediate());
  }

  /** Replaces an image's search entries; runs inside updateStep's transaction. */
  private index(tenant: string, imageId: string, createdAt: number, terms: SearchTerms): void {
    this.stmt.clearTerms.run(imageId);
    for (const [kind, values] of [
      ['label', terms.labels],
      ['object', terms.objects],
    ] as const) {
      for (const term of values) this.stmt.addTerm.run({ tenant, kind, term, createdAt, imageId });
    }
    this.stmt.clearText.run(imageId);
    if (terms.text) this.stmt.addText.run(terms.text, imageId);
  }

  async findExpired(now: number, pendingCreatedBefore: number, limit: number) {
    return this.stmt.expired
      .all(now, pendingCreatedBefore, limit)
      .map((row) => ({ tenant: row.tenant, imageId: row.image_id }));
  }

  async recentProcessingMillis(): Promise<number | null> {
    return this.stmt.recent.get()?.avg ?? null;
  }
}
