/**
 * The parts of backup-core.ts that need no server: the automatic backup before a migration (on real database files),
 * the manifest checksum, and the names shared with embedded.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, openDatabase } from '../../functions/adapters/sqlite/database';
import { DATABASE_FILE as EMBEDDED_DATABASE_FILE, LOCK_FILE as EMBEDDED_LOCK_FILE } from '../../infra/local/embedded';
import { BackupError, DATABASE_FILE, LOCK_FILE, backupBeforeMigration, canonicalJson, manifestChecksum, stamp } from '../../infra/local/backup-core';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'risk-census-backup-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A real DATA_DIR database at this release's schema, with one setting row to recognise it by. */
function databaseWithData(dataDir: string, value: string): void {
  const db = openDatabase({ file: join(dataDir, DATABASE_FILE) });
  db.prepare('INSERT INTO settings (name, value, by, at) VALUES (?, ?, ?, ?)').run('marker', value, 'test', new Date().toISOString());
  db.close();
}

const NOW = new Date('2026-03-01T02:03:04.567Z');

describe('the automatic backup before a migration', () => {
  it('is written, complete and checked, when the database is older than the schema the server migrates to', async () => {
    const dataDir = fresh();
    databaseWithData(dataDir, 'before the upgrade');
    const next = SCHEMA_VERSION + 1;
    const lines: string[] = [];
    const file = await backupBeforeMigration(dataDir, { schemaVersion: next, now: () => NOW, log: (l) => lines.push(l) });
    expect(file).toBe(join(dataDir, 'backups', `pre-migration-v${SCHEMA_VERSION}-20260301T020304Z.db`));
    expect(readdirSync(join(dataDir, 'backups'))).toEqual([`pre-migration-v${SCHEMA_VERSION}-20260301T020304Z.db`]);
    expect(lines.join('\n')).toContain(`before upgrading it to v${next}`);

    // What a migration would do next: change the live database. The backup keeps the state before it.
    const live = openDatabase({ file: join(dataDir, DATABASE_FILE) });
    live.transaction(() => {
      live.exec('ALTER TABLE settings ADD COLUMN note TEXT');
      live.prepare("UPDATE settings SET value = 'after the upgrade' WHERE name = 'marker'").run();
      live.pragma(`user_version = ${next}`);
    })();
    live.close();

    const copy = new Database(file!, { readonly: true, fileMustExist: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.prepare("SELECT value FROM settings WHERE name = 'marker'").pluck().get()).toBe('before the upgrade');
    expect(copy.prepare("SELECT count(*) FROM pragma_table_info('settings') WHERE name = 'note'").pluck().get()).toBe(0);
    copy.close();
  });

  it('is not written when there is nothing to protect or nothing to migrate', async () => {
    // No database yet (a fresh DATA_DIR).
    const empty = fresh();
    expect(await backupBeforeMigration(empty, { schemaVersion: SCHEMA_VERSION + 1 })).toBeUndefined();
    expect(existsSync(join(empty, 'backups'))).toBe(false);
    // An empty database file at version 0 (no schema, no data).
    const v0 = fresh();
    new Database(join(v0, DATABASE_FILE)).close();
    writeFileSync(join(v0, DATABASE_FILE), '');
    expect(await backupBeforeMigration(v0, { schemaVersion: SCHEMA_VERSION + 1 })).toBeUndefined();
    const v0b = fresh();
    new Database(join(v0b, DATABASE_FILE)).exec('VACUUM').close();
    expect(await backupBeforeMigration(v0b, { schemaVersion: SCHEMA_VERSION + 1 })).toBeUndefined();
    // Already at this release's schema (the default target).
    const current = fresh();
    databaseWithData(current, 'x');
    expect(await backupBeforeMigration(current)).toBeUndefined();
    expect(existsSync(join(current, 'backups'))).toBe(false);
  });

  it('is written for a version-0 database that holds tables (content a migration could damage)', async () => {
    const dataDir = fresh();
    const raw = new Database(join(dataDir, DATABASE_FILE));
    raw.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept')");
    raw.close();
    const file = await backupBeforeMigration(dataDir, { now: () => NOW });
    expect(file).toBe(join(dataDir, 'backups', 'pre-migration-v0-20260301T020304Z.db'));
    const copy = new Database(file!, { readonly: true });
    expect(copy.prepare('SELECT x FROM t').pluck().get()).toBe('kept');
    copy.close();
  });

  it('is left to the running server when another live process holds DATA_DIR (that server has migrated already)', async () => {
    const dataDir = fresh();
    databaseWithData(dataDir, 'x');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dataDir, LOCK_FILE), String(other.pid));
      expect(await backupBeforeMigration(dataDir, { schemaVersion: SCHEMA_VERSION + 1 })).toBeUndefined();
      expect(existsSync(join(dataDir, 'backups'))).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('fails loudly, leaving no partial file, when it cannot be written (so the server does not migrate)', async () => {
    const dataDir = fresh();
    databaseWithData(dataDir, 'x');
    // backups/ exists and is a directory we cannot create a file in: here, a file where the directory should be.
    writeFileSync(join(dataDir, 'backups'), 'not a directory');
    await expect(backupBeforeMigration(dataDir, { schemaVersion: SCHEMA_VERSION + 1 })).rejects.toThrow(BackupError);
    await expect(backupBeforeMigration(dataDir, { schemaVersion: SCHEMA_VERSION + 1 })).rejects.toThrow(/so it was not upgraded/);
    rmSync(join(dataDir, 'backups'));
    mkdirSync(join(dataDir, 'backups'));
    // A later attempt with room to write succeeds, and only its complete file is there.
    const file = await backupBeforeMigration(dataDir, { schemaVersion: SCHEMA_VERSION + 1, now: () => NOW });
    expect(readdirSync(join(dataDir, 'backups'))).toEqual([file!.slice(file!.lastIndexOf('/') + 1)]);
  });
});

describe('the manifest checksum', () => {
  it('depends on the content, not on key order or layout', () => {
    const a = { records: 3, files: [{ path: 'census.db', size: 1, sha256: 'ab' }], tables: { b: 1, a: 2 } };
    const b = { tables: { a: 2, b: 1 }, files: [{ sha256: 'ab', size: 1, path: 'census.db' }], records: 3 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(manifestChecksum(a)).toBe(manifestChecksum(b));
    expect(manifestChecksum({ ...a, checksum: 'sha256:whatever' })).toBe(manifestChecksum(a));
    expect(manifestChecksum({ ...a, records: 4 })).not.toBe(manifestChecksum(a));
    expect(manifestChecksum({ ...a, files: [{ path: 'census.db', size: 2, sha256: 'ab' }] })).not.toBe(manifestChecksum(a));
    expect(manifestChecksum(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

it('uses the names embedded.ts uses for the database and the lock', () => {
  expect(DATABASE_FILE).toBe(EMBEDDED_DATABASE_FILE);
  expect(LOCK_FILE).toBe(EMBEDDED_LOCK_FILE);
  expect(stamp(NOW)).toBe('20260301T020304Z');
});
