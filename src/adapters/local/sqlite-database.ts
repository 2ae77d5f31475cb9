import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * Schema migrations, applied in order and recorded in `user_version`. Append only: a
 * migration that has shipped is never edited.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE images (
    image_id      TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_type     TEXT NOT NULL,
    size          INTEGER,
    status        TEXT NOT NULL,
    steps         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    error         TEXT,
    metadata      TEXT,
    placeholder   TEXT,
    analysis      TEXT,
    variants      TEXT NOT NULL DEFAULT '[]',
    upload_claimed_at INTEGER,
    created_at    INTEGER NOT NULL,
    uploaded_at   INTEGER,
    started_at    INTEGER,
    processed_at  INTEGER,
    updated_at    INTEGER NOT NULL,
    expires_at    INTEGER
  ) STRICT;
  CREATE INDEX images_by_tenant ON images (tenant, created_at DESC, image_id DESC);
  CREATE INDEX images_by_tenant_status ON images (tenant, status, created_at DESC, image_id DESC);
  CREATE INDEX images_by_expiry ON images (expires_at) WHERE expires_at IS NOT NULL;
  CREATE INDEX images_pending ON images (created_at) WHERE status = 'pending';

  CREATE TABLE jobs (
    id             TEXT PRIMARY KEY,
    queue          TEXT NOT NULL,
    name           TEXT NOT NULL,
    body           TEXT NOT NULL,
    image_id       TEXT,
    visible_at     INTEGER NOT NULL,
    receive_count  INTEGER NOT NULL DEFAULT 0,
    receipt_handle TEXT,
    last_error     TEXT,
    created_at     INTEGER NOT NULL,
    dead_lettered_at INTEGER
  ) STRICT;
  CREATE INDEX jobs_ready ON jobs (queue, visible_at);
  CREATE INDEX jobs_by_image ON jobs (image_id);
  CREATE UNIQUE INDEX jobs_by_receipt ON jobs (receipt_handle) WHERE receipt_handle IS NOT NULL;

  CREATE TABLE api_keys (
    key_id      TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    tenant      TEXT NOT NULL,
    admin       INTEGER NOT NULL,
    rate_limit_rps   INTEGER NOT NULL,
    rate_limit_burst INTEGER NOT NULL,
    daily_quota INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
  ) STRICT;

  CREATE TABLE key_usage (
    key_id TEXT NOT NULL,
    day    TEXT NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (key_id, day)
  ) STRICT, WITHOUT ROWID;
  `,
  // The status endpoint's estimate averages the latest completions; without this it scans.
  `CREATE INDEX images_recently_processed ON images (processed_at) WHERE status = 'completed';`,
  // Search by analysis. Labels and objects are exact terms, ordered like the list so a search
  // page is a range scan; OCR text is a trigram FTS index, which answers substring LIKE
  // queries, keyed by the image row's rowid so deleting an image is a point delete.
  `
  CREATE TABLE image_terms (
    tenant     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    term       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    image_id   TEXT NOT NULL REFERENCES images (image_id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, kind, term, created_at, image_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX image_terms_by_image ON image_terms (image_id);
  CREATE VIRTUAL TABLE image_text USING fts5 (text, tokenize = 'trigram');
  CREATE TRIGGER images_delete_text AFTER DELETE ON images BEGIN
    DELETE FROM image_text WHERE rowid = old.rowid;
  END;
  `,
  // Webhooks (issue #16) and their deliveries, which the in-process dispatcher sends and
  // retries; a pending delivery survives a restart. Deleting a webhook drops its deliveries.
  `
  CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX webhooks_by_tenant ON webhooks (tenant, created_at);

  CREATE TABLE webhook_deliveries (
    delivery_id     TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    image_id        TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, created_at DESC);
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
  `,
];

/**
 * Opens (and creates or migrates) the SQLite file. WAL lets the HTTP thread read while
 * worker threads write; busy_timeout makes concurrent writers wait instead of failing.
 */
export function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current >= MIGRATIONS.length) return;
  db.transaction(() => {
    // Re-read inside the write lock: another thread may have migrated meanwhile.
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.exec(MIGRATIONS[i] as string);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** Throws unless the database answers a query that reads its file (the schema page). */
export function pingDatabase(db: SqliteDatabase): void {
  db.prepare('SELECT count(*) FROM sqlite_master').get();
}
