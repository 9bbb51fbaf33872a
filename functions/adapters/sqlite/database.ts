/**
 * The embedded database: one SQLite file under DATA_DIR, opened through better-sqlite3 in WAL mode with
 * `synchronous=FULL` (every commit is fsynced before it returns, so no acknowledged write is lost on power loss), and
 * its schema brought up to date by the migrations below, in order, each in its own transaction. `PRAGMA user_version`
 * records the last one applied; a database written by a newer release (a higher version) is refused rather than
 * guessed at.
 *
 * better-sqlite3 is synchronous: one statement runs at a time in this process, so a transaction is never interleaved
 * with another and its conditions (version, status) are checked and written atomically. The server is the only
 * process that writes the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned schema. Never edit a migration that has shipped: add the next one. Tables are STRICT (types enforced) and
 * hold the record as JSON beside the columns its access patterns need.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- Submissions: the record (JSON) and the columns of its access patterns (functions/adapters/sqlite/submissions.ts).
      CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        form_id TEXT NOT NULL,
        sector TEXT NOT NULL,
        county TEXT NOT NULL,
        region_code TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        region_updated TEXT NOT NULL,          -- regionCode#updatedAt#id: subtree prefix, then oldest first
        queue_sort TEXT,                       -- submittedAt#id while status = submitted, else NULL
        record TEXT NOT NULL
      ) STRICT;
      CREATE INDEX submissions_by_form ON submissions (form_id, county, region_updated);
      CREATE INDEX submissions_by_sector ON submissions (sector, county, region_updated);
      CREATE INDEX submissions_by_author ON submissions (created_by, updated_at, id);
      CREATE INDEX submissions_review_queue ON submissions (sector, county, queue_sort) WHERE queue_sort IS NOT NULL;

      -- Progress: one row per cell (form, leaf region) under its county.
      CREATE TABLE progress_cells (
        county TEXT NOT NULL,
        cell TEXT NOT NULL,                    -- formId#regionCode
        form_id TEXT NOT NULL,
        region_code TEXT NOT NULL,
        target INTEGER NOT NULL DEFAULT 0,
        draft INTEGER NOT NULL DEFAULT 0,
        submitted INTEGER NOT NULL DEFAULT 0,
        returned INTEGER NOT NULL DEFAULT 0,
        approved INTEGER NOT NULL DEFAULT 0,
        voided INTEGER NOT NULL DEFAULT 0,
        attested_none INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT,
        PRIMARY KEY (county, cell)
      ) STRICT, WITHOUT ROWID;

      -- Audit: append-only; seq keeps the order of entries written at the same instant.
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entity_id TEXT NOT NULL,
        at TEXT NOT NULL,
        entry TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_by_entity ON audit (entity_id, at, seq);

      -- Directory: form versions (immutable), the current pointer with its summary, regions, members, local logins.
      CREATE TABLE form_versions (
        form_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL,
        PRIMARY KEY (form_id, version)
      ) STRICT;
      CREATE TABLE forms (
        form_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        summary TEXT NOT NULL
      ) STRICT;
      CREATE TABLE regions (
        code TEXT PRIMARY KEY,
        region TEXT NOT NULL
      ) STRICT;
      CREATE TABLE members (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        member TEXT NOT NULL
      ) STRICT;
      CREATE TABLE local_users (
        username TEXT PRIMARY KEY,
        sub TEXT NOT NULL,
        password_hash TEXT NOT NULL
      ) STRICT;
      CREATE TABLE target_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        form_id TEXT NOT NULL,
        region_code TEXT NOT NULL,
        at TEXT NOT NULL,
        entry TEXT NOT NULL
      ) STRICT;
      CREATE INDEX target_log_by_cell ON target_log (form_id, region_code, at, seq);
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        by TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;
      CREATE TABLE snapshots (
        county TEXT NOT NULL,
        date TEXT NOT NULL,
        at TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        PRIMARY KEY (county, date)
      ) STRICT;

      -- Background jobs: the records use cases read and write (exports, imports, uploads), expiring like DynamoDB's TTL.
      CREATE TABLE job_records (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        record TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) STRICT;

      -- The in-process job queue (functions/adapters/jobs/in-process.ts): tasks survive a restart.
      CREATE TABLE job_queue (
        task_key TEXT PRIMARY KEY,             -- job:id
        task TEXT NOT NULL,
        state TEXT NOT NULL,                   -- queued | running | done | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        error TEXT
      ) STRICT;
      CREATE INDEX job_queue_open ON job_queue (state, created_at) WHERE state IN ('queued', 'running');
    `,
  },
  {
    version: 2,
    name: 'managed members: unique usernames, membership audit, temporary passwords',
    sql: `
      CREATE UNIQUE INDEX members_username ON members (username);
      -- Every membership change (who, what, before → after), oldest first by seq.
      CREATE TABLE member_history (
        seq INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        change TEXT NOT NULL
      ) STRICT;
      CREATE INDEX member_history_user ON member_history (user_id, seq);
      ALTER TABLE local_users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE local_users ADD COLUMN temporary_until TEXT;
      ALTER TABLE local_users ADD COLUMN password_changed_at TEXT;
    `,
  },
  {
    version: 3,
    name: 'forms published at run time: who published each version, retired forms',
    sql: `
      -- {"by","at"} of the publication; NULL for versions seeded before it was recorded.
      ALTER TABLE form_versions ADD COLUMN published TEXT;
      -- {"at","by"} while the form is retired (takes no new records); NULL otherwise.
      ALTER TABLE forms ADD COLUMN retired TEXT;
    `,
  },
  {
    version: 4,
    name: 'survey objects, their cell counters, region boundaries',
    sql: `
      -- Survey objects (functions/adapters/sqlite/objects.ts): the object (JSON) beside the columns of its listings.
      CREATE TABLE objects (
        id TEXT PRIMARY KEY,                   -- formId~code
        form_id TEXT NOT NULL,
        region_code TEXT NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        assignee TEXT,
        version INTEGER NOT NULL,
        record TEXT NOT NULL
      ) STRICT;
      CREATE INDEX objects_by_form_region ON objects (form_id, region_code, code);
      CREATE INDEX objects_by_assignee ON objects (assignee, form_id, region_code, code) WHERE assignee IS NOT NULL;
      -- Object counters of a cell (domain/objects.ts ObjectCounts), written with the objects and records that move them.
      ALTER TABLE progress_cells ADD COLUMN objects INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE progress_cells ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE progress_cells ADD COLUMN surveyed INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE progress_cells ADD COLUMN surveyed_approved INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE progress_cells ADD COLUMN not_required INTEGER NOT NULL DEFAULT 0;
      -- Region outlines uploaded by the district (GeoJSON geometry).
      CREATE TABLE boundaries (
        code TEXT PRIMARY KEY,
        level TEXT NOT NULL,
        geometry TEXT NOT NULL
      ) STRICT;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Apply every migration newer than the database's `user_version`, each in one transaction. */
export function migrate(db: Db): { from: number; to: number } {
  const from = Number(db.pragma('user_version', { simple: true }));
  if (from > SCHEMA_VERSION) {
    throw new Error(`The database is at schema version ${from}, newer than this release knows (${SCHEMA_VERSION}); upgrade Risk Census first`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: SCHEMA_VERSION };
}

export interface OpenOptions {
  /** `:memory:` for unit tests of pure adapter logic; a path otherwise (its folder is created). */
  file: string;
  readonly?: boolean;
}

/** Open (creating if need be) and migrate the database. */
export function openDatabase(opts: OpenOptions): Db {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file, { readonly: opts.readonly ?? false, timeout: 5_000 });
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so a write that was acknowledged survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Checkpoint the WAL into the database every ~4 MB of pages (SQLite's default is 1000 pages); keeps reads fast.
    db.pragma('wal_autocheckpoint = 1000');
    migrate(db);
  }
  return db;
}

/** Run `fn` in one IMMEDIATE transaction (the write lock is taken at BEGIN, so conditions read inside it hold). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
