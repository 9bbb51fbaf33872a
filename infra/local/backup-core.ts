/**
 * Backup and restore of an embedded DATA_DIR (infra/local/embedded.ts), shared by the CLIs (backup.ts, restore.ts) and
 * the server's automatic backup before a schema migration (`backupBeforeMigration`).
 *
 * A backup is a directory:
 *
 *   <dir>/census.db       the database, copied through SQLite's online backup API inside one read transaction of a
 *                         read-only connection: a consistent snapshot however much the server writes meanwhile
 *                         (WAL lets it go on); then switched to a rollback journal so the copy is one self-contained file
 *   <dir>/files/…         every data file that has its `.meta.json` sidecar, and that sidecar (files are immutable once
 *                         renamed into place, and the sidecar is committed first: a file being written has no data file
 *                         yet and is skipped). Each copy is checked against the size and SHA-256 its sidecar records.
 *   <dir>/keys/…          the token signing key pair and the file-link secret
 *   <dir>/manifest.json   every file with size and SHA-256, the schema version and record count of the copy, when and
 *                         from where, and a checksum of the manifest itself (SHA-256 of its canonical JSON)
 *
 * It is written into `<dir>.partial-<random>` (mode 0700: it holds the keys), every file and directory fsynced, and
 * renamed to `<dir>` only when complete and checked (`PRAGMA integrity_check` of the copy): a backup that was killed
 * never looks complete. A restore checks everything the manifest says before it touches DATA_DIR, builds the new content
 * beside it, then swaps it in by renames while holding DATA_DIR's server lock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, readFile, rename, rm, rmdir, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../functions/adapters/sqlite/database';

const ROOT = resolve(import.meta.dirname, '../..');

/** The names embedded.ts uses (DATABASE_FILE, LOCK_FILE there; a unit test holds them equal). */
export const DATABASE_FILE = 'census.db';
export const LOCK_FILE = 'server.lock';
/** The directories of DATA_DIR a backup holds besides the database. */
export const DATA_DIRS = ['files', 'keys'] as const;
export const MANIFEST_FILE = 'manifest.json';
export const BACKUP_FORMAT = 'risk-census-backup';
export const BACKUP_FORMAT_VERSION = 1;
/** Where the server keeps its automatic pre-migration backups. */
export const PRE_MIGRATION_DIR = 'backups';

const META_SUFFIX = '.meta.json';
/** Pages per step of the online backup (4 MB at SQLite's default page size): a progress line every step or so. */
const STEP_PAGES = 1024;
/** Files copied at once: mostly small ones, each fsynced; the file system batches concurrent fsyncs into one commit. */
const PARALLEL_COPIES = 32;
const BUFFER_BYTES = 256 * 1024;
const PROGRESS_EVERY_MS = 1000;

/** DATA_DIR as `npm start` resolves it (infra/local/start.ts). */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DATA_DIR ?? join(ROOT, '.data'));
}

// ───────────────────────────── errors ─────────────────────────────

/** A refusal or failure with a message meant for the person at the terminal (the CLIs print it and exit 1). */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

const CAUSES: [RegExp, string][] = [
  [/^(ENOSPC|SQLITE_FULL)/, 'the disk is full'],
  [/^EDQUOT/, 'the disk quota is used up'],
  [/^EROFS/, 'the file system is read-only'],
  [/^(EACCES|EPERM|SQLITE_PERM)/, 'permission denied'],
  [/^SQLITE_READONLY/, 'the file or its directory is not writable'],
  [/^SQLITE_CANTOPEN/, 'the file cannot be opened (missing, or its directory is not accessible)'],
  [/^(EIO|SQLITE_IOERR)/, 'an input/output error (a failing disk or a removed drive?)'],
  [/^EMFILE|^ENFILE/, 'too many open files'],
  [/^EXDEV/, 'the two places are on different file systems'],
  [/^ENOTDIR/, 'a part of the path is a file, not a directory'],
];

/** What a file-system or SQLite error means, in words, or undefined when it is not one of those. */
export function describeFsError(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  for (const [re, words] of CAUSES) if (re.test(code)) return `${words} (${code})`;
  return undefined;
}

/**
 * One line for a failure: a BackupError as it is; a file-system or SQLite error as `<path>: <cause>. <after>` (the
 * error's own path, else `where`); anything else with its message.
 */
export function explain(e: unknown, where: string, after: string): BackupError {
  if (e instanceof BackupError) return e;
  const cause = describeFsError(e);
  const path = (e as { path?: unknown })?.path;
  const tail = after ? ` ${after}` : '';
  if (cause) return new BackupError(`${typeof path === 'string' ? path : where}: ${cause}.${tail}`);
  return new BackupError(`${(e as Error)?.message ?? String(e)}.${tail}`);
}

// ───────────────────────────── small file helpers ─────────────────────────────

/** Remove a temporary file or tree; a failure to remove it must not hide the error that made it temporary. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    /* left behind: its name says it is temporary */
  }
}

const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/** fsync a directory so the names created in it are durable; platforms that cannot (Windows) skip it. */
async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(dir, 'r');
  } catch (e) {
    if (['EISDIR', 'EPERM', 'EACCES'].includes((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!['EINVAL', 'EPERM', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) offset += (await fh.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

export interface Hashed {
  size: number;
  sha256: string;
}

/** Copy `src` to a new file `dest` (which must not exist), hashing on the way, and fsync it. Removes `dest` on failure. */
async function copyHashed(src: string, dest: string, mode = 0o644): Promise<Hashed> {
  const hash = createHash('sha256');
  const input = await open(src, 'r');
  try {
    const out = await open(dest, 'wx', mode);
    let size = 0;
    try {
      const buf = Buffer.allocUnsafe(BUFFER_BYTES);
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        await writeAll(out, chunk);
        size += bytesRead;
      }
      await out.sync();
    } catch (e) {
      await out.close().catch(() => undefined);
      await rm(dest, { force: true });
      throw e;
    }
    await out.close();
    return { size, sha256: hash.digest('hex') };
  } finally {
    await input.close();
  }
}

export async function hashFile(file: string): Promise<Hashed> {
  const hash = createHash('sha256');
  const fh = await open(file, 'r');
  let size = 0;
  try {
    const buf = Buffer.allocUnsafe(BUFFER_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { size, sha256: hash.digest('hex') };
}

/** Every regular file under `dir` (relative POSIX paths), and everything that is neither a file nor a directory. */
async function listTree(dir: string, prefix = ''): Promise<{ files: string[]; odd: string[] }> {
  const files: string[] = [];
  const odd: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return { files, odd };
    throw e;
  }
  for (const ent of entries) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) {
      const sub = await listTree(join(dir, ent.name), rel);
      files.push(...sub.files);
      odd.push(...sub.odd);
    } else if (ent.isFile()) files.push(rel);
    else odd.push(rel);
  }
  return { files, odd };
}

/** Run `fn` over `items`, at most `limit` at a time; the first failure stops the others from starting. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** `2026-03-01T02:00:00.123Z` → `20260301T020000Z` (a name part that sorts by time and is legal everywhere). */
export function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function throttled(log: (line: string) => void): (line: string, force?: boolean) => void {
  let last = 0;
  return (line, force = false) => {
    const t = Date.now();
    if (force || t - last >= PROGRESS_EVERY_MS) {
      last = t;
      log(line);
    }
  };
}

// ───────────────────────────── the server lock ─────────────────────────────

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live process holding DATA_DIR's server lock (other than this one), or undefined. Reads only. */
export function lockOwner(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

// ───────────────────────────── the database ─────────────────────────────

/** Open the live database for reading only (it is never written through this connection). */
function openSource(file: string): Database.Database {
  if (!existsSync(file)) throw new BackupError(`there is no database at ${file}: is DATA_DIR right?`);
  return new Database(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
}

export interface DbFacts {
  schemaVersion: number;
  records: number;
  tables: Record<string, number>;
}

function countTables(db: Database.Database): DbFacts {
  const schemaVersion = Number(db.pragma('user_version', { simple: true }));
  const tables: Record<string, number> = {};
  const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
  for (const { name } of names) tables[name] = (db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
  return { schemaVersion, records: tables.submissions ?? 0, tables };
}

/** `PRAGMA integrity_check` of a database file: 'ok', or the problems SQLite lists (or the error opening it raises). */
export function integrityProblems(file: string, opts: { readonly?: boolean } = {}): string[] {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: opts.readonly ?? true, fileMustExist: true });
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const out = rows.map((r) => r.integrity_check).filter((s) => s !== 'ok');
    return out;
  } catch (e) {
    // Not a database, or a damaged one (SQLITE_NOTADB, SQLITE_CORRUPT): a finding. A disk or permission error: not.
    if (describeFsError(e)) throw e;
    return [(e as Error).message];
  } finally {
    db?.close();
  }
}

export interface Snapshot {
  /** When the read transaction of the snapshot began: everything committed before it is in the copy, nothing after. */
  at: Date;
  facts: DbFacts;
  bytes: number;
}

/**
 * Copy the database at `source` into the new file `dest` through the online backup API, inside one read transaction
 * of a read-only connection (every step reads the same snapshot, so the backup never restarts however busy the server
 * is), then switch the copy to a rollback journal (one self-contained file), check it (`integrity_check`), fsync it.
 */
export async function snapshotDatabase(
  source: string,
  dest: string,
  hooks: { onSnapshot?: (at: Date, facts: { schemaVersion: number; records: number }) => void; onProgress?: (copiedPages: number, totalPages: number, pageSize: number) => void; signal?: AbortSignal } = {},
): Promise<Snapshot> {
  const src = openSource(source);
  let at: Date;
  try {
    src.exec('BEGIN');
    // The snapshot is fixed by the first read of the transaction (WAL): this one, right after `at`.
    at = new Date();
    const schemaVersion = Number(src.pragma('user_version', { simple: true }));
    const hasSubmissions = src.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'submissions'").get() !== undefined;
    const records = hasSubmissions ? Number(src.prepare('SELECT count(*) FROM submissions').pluck().get()) : 0;
    hooks.onSnapshot?.(at, { schemaVersion, records });
    const pageSize = Number(src.pragma('page_size', { simple: true }));
    await src.backup(dest, {
      progress: ({ totalPages, remainingPages }) => {
        if (hooks.signal?.aborted) throw new BackupError('interrupted; the incomplete backup was removed, nothing in DATA_DIR was changed');
        hooks.onProgress?.(totalPages - remainingPages, totalPages, pageSize);
        return STEP_PAGES;
      },
    });
    src.exec('COMMIT');
  } finally {
    src.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  let facts: DbFacts;
  try {
    copy.pragma('journal_mode = DELETE');
    const rows = copy.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((s) => s !== 'ok');
    if (problems.length) throw new BackupError(`the copy of the database fails PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}`);
    facts = countTables(copy);
  } finally {
    copy.close();
  }
  await fsyncFile(dest);
  return { at, facts, bytes: statSync(dest).size };
}

// ───────────────────────────── the manifest ─────────────────────────────

export interface ManifestFile {
  /** Relative to the backup directory, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  /** The release that wrote it (package.json version). */
  release: string;
  /**
   * When the database snapshot began: every write committed before this moment is in the backup, none committed after
   * the snapshot's first read (a millisecond or so later).
   */
  snapshotAt: string;
  startedAt: string;
  finishedAt: string;
  hostname: string;
  /** DATA_DIR it was taken from. */
  dataDir: string;
  /** PRAGMA user_version of the copy. */
  schemaVersion: number;
  /** Submissions in the copy. */
  records: number;
  /** Rows per table in the copy. */
  tables: Record<string, number>;
  totals: { files: number; bytes: number };
  files: ManifestFile[];
  /** Files of DATA_DIR left out, and why (a sidecar-less data file, a file that changed while it was copied). */
  warnings: string[];
  /** `sha256:` + SHA-256 of the canonical JSON of every other field. */
  checksum: string;
}

/** JSON with object keys sorted at every level: the same text for the same content, whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function manifestChecksum(m: Record<string, unknown>): string {
  const { checksum: _ignored, ...rest } = m;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

function release(): string {
  try {
    return String((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** Is `p` a path a backup may hold: census.db, or a file under files/ or keys/, relative and without `..`? */
function allowedPath(p: unknown): p is string {
  if (typeof p !== 'string' || p === '' || isAbsolute(p) || p.includes('\\') || p.includes('\0')) return false;
  const parts = p.split('/');
  if (parts.some((s) => s === '' || s === '.' || s === '..')) return false;
  return p === DATABASE_FILE || ((DATA_DIRS as readonly string[]).includes(parts[0]!) && parts.length >= 2);
}

// ───────────────────────────── backup ─────────────────────────────

export interface BackupOptions {
  dataDir: string;
  /** The backup directory to create (must not exist, or be empty). */
  target: string;
  /** Progress and summary lines. */
  log?: (line: string) => void;
  /** Told the temporary directory while it exists (a CLI removes it if it must exit at once), then undefined. */
  onTemp?: (dir: string | undefined) => void;
  /** Aborting stops the backup at the next file or database step and removes what it wrote (Ctrl-C). */
  signal?: AbortSignal;
}

export interface BackupResult {
  dir: string;
  manifest: Manifest;
  ms: number;
  bytes: number;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const log = opts.log ?? (() => {});
  const progress = throttled(log);
  const dataDir = resolve(opts.dataDir);
  const target = resolve(opts.target);
  const started = new Date();
  const t0 = performance.now();

  const dbFile = join(dataDir, DATABASE_FILE);
  if (!existsSync(dbFile)) throw new BackupError(`there is no database at ${dbFile}: is DATA_DIR (${dataDir}) right?`);
  if (isInside(target, dataDir)) throw new BackupError(`the backup directory ${target} is inside DATA_DIR ${dataDir}: choose a place outside it (another disk, ideally)`);
  if (isInside(dataDir, target)) throw new BackupError(`DATA_DIR ${dataDir} is inside the backup directory ${target}: choose another one`);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new BackupError(`${target} exists and is not a directory: choose a new name for the backup`);
    if (readdirSync(target).length) throw new BackupError(`${target} exists and is not empty: backups are never written over; choose a new directory`);
  }

  const partial = `${target}.partial-${randomBytes(6).toString('hex')}`;
  const after = 'The incomplete backup was removed; nothing in DATA_DIR was changed.';
  try {
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(partial, { mode: 0o700 });
  } catch (e) {
    throw explain(e, dirname(target), 'Nothing was written.');
  }
  opts.onTemp?.(partial);
  const dirs = new Set<string>([partial]);
  try {
    log(`Backing up ${dataDir} to ${target}`);
    // 1. The database.
    const snap = await snapshotDatabase(dbFile, join(partial, DATABASE_FILE), {
      signal: opts.signal,
      onSnapshot: (at, facts) =>
        log(`  snapshot started ${at.toISOString()}: ${plural(facts.records, 'record')} (schema v${facts.schemaVersion}); writes after this moment are not in this backup`),
      onProgress: (copied, total, pageSize) => {
        if (copied > 0) progress(`  database: ${Math.floor((100 * copied) / total)}% of ${formatBytes(total * pageSize)}`);
      },
    }).catch((e: unknown) => {
      throw explain(e, join(partial, DATABASE_FILE), after);
    });
    log(`  database copied and checked (integrity ok): ${formatBytes(snap.bytes)}, ${plural(snap.facts.records, 'record')}`);
    const entries: ManifestFile[] = [{ path: DATABASE_FILE, size: snap.bytes, sha256: (await hashFile(join(partial, DATABASE_FILE))).sha256 }];
    const warnings: string[] = [];

    // 2. files/: the data files that have their sidecar, each with it. keys/: every key file.
    const pairs: string[] = [];
    const tree = await listTree(join(dataDir, 'files'));
    const present = new Set(tree.files);
    for (const rel of tree.files) {
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      if (name.startsWith('.')) continue; // a temporary file of a write in progress
      if (rel.endsWith(META_SUFFIX)) continue;
      if (present.has(rel + META_SUFFIX)) pairs.push(rel);
      else warnings.push(`files/${rel}: no ${META_SUFFIX} beside it, left out`);
    }
    const keys = (await listTree(join(dataDir, 'keys'))).files.filter((rel) => !rel.slice(rel.lastIndexOf('/') + 1).startsWith('.'));
    const total = pairs.length * 2 + keys.length;
    let done = 0;
    let bytes = 0;
    const ensureDir = async (file: string) => {
      const d = dirname(file);
      if (dirs.has(d)) return;
      await mkdir(d, { recursive: true, mode: 0o700 });
      for (let x = d; !dirs.has(x); x = dirname(x)) dirs.add(x);
    };
    const report = () => progress(`  files: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} copied (${formatBytes(bytes)})`, done === total);
    if (total === 0) report();

    await inParallel(pairs, PARALLEL_COPIES, async (rel) => {
      if (opts.signal?.aborted) throw new BackupError('interrupted; the incomplete backup was removed, nothing in DATA_DIR was changed');
      const src = join(dataDir, 'files', ...rel.split('/'));
      const dest = join(partial, 'files', ...rel.split('/'));
      await ensureDir(dest);
      // A sidecar says what its data file holds; a copy that does not match it is retried (a key written again
      // meanwhile: sidecar first, data second), then kept with a warning (the file on disk is not what it says).
      for (let attempt = 1; ; attempt++) {
        let metaText: string;
        try {
          metaText = await readFile(src + META_SUFFIX, 'utf8');
        } catch (e) {
          if (!isMissing(e)) throw e;
          warnings.push(`files/${rel}: its ${META_SUFFIX} disappeared while copying, left out`);
          return;
        }
        let copied: Hashed;
        try {
          copied = await copyHashed(src, dest);
        } catch (e) {
          if (!isMissing(e) || (e as NodeJS.ErrnoException).path !== src) throw e;
          warnings.push(`files/${rel}: disappeared while copying, left out`);
          return;
        }
        let meta: { size?: unknown; sha256?: unknown } = {};
        try {
          meta = JSON.parse(metaText) as typeof meta;
        } catch {
          /* judged below */
        }
        const matches = meta.size === copied.size && meta.sha256 === copied.sha256;
        if (!matches && attempt < 3) {
          await rm(dest, { force: true });
          continue;
        }
        if (!matches) warnings.push(`files/${rel}: its bytes do not match its ${META_SUFFIX} (size or SHA-256): copied as it is`);
        const metaDest = dest + META_SUFFIX;
        await rm(metaDest, { force: true });
        const out = await open(metaDest, 'wx', 0o644);
        try {
          await out.writeFile(metaText);
          await out.sync();
        } finally {
          await out.close();
        }
        const metaBytes = Buffer.byteLength(metaText);
        entries.push({ path: `files/${rel}`, ...copied }, { path: `files/${rel}${META_SUFFIX}`, size: metaBytes, sha256: createHash('sha256').update(metaText).digest('hex') });
        done += 2;
        bytes += copied.size + metaBytes;
        report();
        return;
      }
    });
    for (const rel of keys) {
      const dest = join(partial, 'keys', ...rel.split('/'));
      await ensureDir(dest);
      const copied = await copyHashed(join(dataDir, 'keys', ...rel.split('/')), dest, 0o600);
      entries.push({ path: `keys/${rel}`, ...copied });
      done++;
      bytes += copied.size;
      report();
    }
    for (const w of warnings) log(`  warning: ${w}`);

    // 3. The manifest, then every directory fsynced, then the rename that makes it a backup.
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const totalBytes = entries.reduce((s, f) => s + f.size, 0);
    const body: Omit<Manifest, 'checksum'> = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      release: release(),
      snapshotAt: snap.at.toISOString(),
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      hostname: hostname(),
      dataDir,
      schemaVersion: snap.facts.schemaVersion,
      records: snap.facts.records,
      tables: snap.facts.tables,
      totals: { files: entries.length, bytes: totalBytes },
      files: entries,
      warnings,
    };
    const manifest: Manifest = { ...body, checksum: manifestChecksum(body as unknown as Record<string, unknown>) };
    const mf = await open(join(partial, MANIFEST_FILE), 'wx', 0o600);
    try {
      await mf.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
      await mf.sync();
    } finally {
      await mf.close();
    }
    await inParallel([...dirs], PARALLEL_COPIES, fsyncDir);
    try {
      await rename(partial, target);
    } catch (e) {
      if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) {
        throw new BackupError(`${target} appeared (and is not empty) while the backup was written: choose a new directory`);
      }
      throw e;
    }
    opts.onTemp?.(undefined);
    await fsyncDir(dirname(target));
    const ms = performance.now() - t0;
    const size = totalBytes + statSync(join(target, MANIFEST_FILE)).size;
    log(
      `Backup complete: ${target}\n  ${plural(manifest.records, 'record')}, schema v${manifest.schemaVersion}, ${plural(entries.length, 'file')}, ${formatBytes(size)}, in ${(ms / 1000).toFixed(1)} s` +
        (warnings.length ? `\n  ${plural(warnings.length, 'warning')} (see above and in manifest.json)` : ''),
    );
    return { dir: target, manifest, ms, bytes: size };
  } catch (e) {
    removeQuietly(partial);
    opts.onTemp?.(undefined);
    throw explain(e, partial, after);
  }
}

// ───────────────────────────── verification ─────────────────────────────

/**
 * Everything a restore must be able to trust, checked without writing anything: the manifest (present, readable, of
 * this format, its checksum right, a schema this release knows), every file it lists (present, same size, same
 * SHA-256), no file it does not list, and the database's integrity_check and schema version. Throws a BackupError
 * naming what is wrong.
 */
export async function verifyBackup(dir: string, log: (line: string) => void = () => {}, signal?: AbortSignal): Promise<Manifest> {
  const source = resolve(dir);
  if (!existsSync(source)) throw new BackupError(`${source} does not exist`);
  if (!statSync(source).isDirectory()) throw new BackupError(`${source} is not a directory: give the backup's directory`);
  const manifestFile = join(source, MANIFEST_FILE);
  if (!existsSync(manifestFile)) {
    const partial = /\.partial-[0-9a-f]+$/.test(source) ? ' (its name says it is an interrupted backup)' : '';
    throw new BackupError(`${source} has no ${MANIFEST_FILE}: it is not a complete Risk Census backup${partial}`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch (e) {
    throw new BackupError(`${manifestFile} cannot be read as JSON (${(e as Error).message}): the backup is damaged`);
  }
  if (!m || typeof m !== 'object' || m.format !== BACKUP_FORMAT) throw new BackupError(`${manifestFile} is not the manifest of a Risk Census backup`);
  if (typeof m.checksum !== 'string' || m.checksum !== manifestChecksum(m as unknown as Record<string, unknown>)) {
    throw new BackupError(`${manifestFile} does not match its checksum: it was changed after the backup was written (or damaged); refusing to trust it`);
  }
  if (!Number.isInteger(m.formatVersion) || m.formatVersion > BACKUP_FORMAT_VERSION) {
    throw new BackupError(`the backup is of format ${m.formatVersion}, newer than this release reads (${BACKUP_FORMAT_VERSION}): restore it with the release that wrote it (${m.release}) or a newer one`);
  }
  if (!Number.isInteger(m.schemaVersion) || m.schemaVersion > SCHEMA_VERSION) {
    throw new BackupError(
      `the backup's database is at schema version ${m.schemaVersion}, newer than this release knows (${SCHEMA_VERSION}): upgrade Risk Census to ${m.release} or later first, then restore`,
    );
  }
  if (!Array.isArray(m.files)) throw new BackupError(`${manifestFile} lists no files`);
  const listed = new Map<string, ManifestFile>();
  for (const f of m.files) {
    if (!allowedPath(f?.path) || !Number.isSafeInteger(f.size) || f.size < 0 || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256)) {
      throw new BackupError(`${manifestFile} has an entry that is not a file of a backup: ${JSON.stringify(f).slice(0, 200)}`);
    }
    if (listed.has(f.path)) throw new BackupError(`${manifestFile} lists ${f.path} twice`);
    listed.set(f.path, f);
  }
  if (!listed.has(DATABASE_FILE)) throw new BackupError(`${manifestFile} does not list ${DATABASE_FILE}: the backup has no database`);

  // Names and sizes first (cheap), then the contents.
  const problems: string[] = [];
  const tree = await listTree(source);
  const onDisk = new Set(tree.files.filter((p) => p !== MANIFEST_FILE));
  for (const p of tree.odd) problems.push(`${p} is not a regular file`);
  for (const p of onDisk) if (!listed.has(p)) problems.push(`${p} is not in the manifest (an extra file)`);
  for (const [p, f] of listed) {
    if (!onDisk.has(p)) problems.push(`${p} is missing`);
    else {
      const size = (await lstat(join(source, ...p.split('/')))).size;
      if (size !== f.size) problems.push(`${p} is ${size} bytes, the manifest says ${f.size} (truncated or changed)`);
    }
  }
  const refuse = () => {
    if (!problems.length) return;
    const shown = problems.slice(0, 10).map((p) => `\n  - ${p}`).join('');
    throw new BackupError(`the backup in ${source} does not match its manifest:${shown}${problems.length > 10 ? `\n  … and ${problems.length - 10} more` : ''}`);
  };
  refuse();
  const progress = throttled(log);
  let checked = 0;
  let bytes = 0;
  const entries = [...listed.values()];
  await inParallel(entries, PARALLEL_COPIES, async (f) => {
    if (signal?.aborted) throw new BackupError('interrupted; nothing was changed');
    const h = await hashFile(join(source, ...f.path.split('/')));
    if (h.sha256 !== f.sha256) problems.push(`${f.path} does not have the SHA-256 the manifest records (its contents changed)`);
    checked++;
    bytes += h.size;
    progress(`  checked ${checked.toLocaleString('en-US')}/${entries.length.toLocaleString('en-US')} files (${formatBytes(bytes)})`, checked === entries.length);
  });
  refuse();
  const dbFile = join(source, DATABASE_FILE);
  const integrity = integrityProblems(dbFile);
  if (integrity.length) throw new BackupError(`the backup's database ${dbFile} fails PRAGMA integrity_check: ${integrity.slice(0, 5).join('; ')}`);
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  let version: number;
  try {
    version = Number(db.pragma('user_version', { simple: true }));
  } finally {
    db.close();
  }
  if (version !== m.schemaVersion) throw new BackupError(`the backup's database is at schema version ${version}, its manifest says ${m.schemaVersion}: the backup is inconsistent`);
  if (version > SCHEMA_VERSION) throw new BackupError(`the backup's database is at schema version ${version}, newer than this release knows (${SCHEMA_VERSION}): upgrade Risk Census first`);
  return m;
}

// ───────────────────────────── restore ─────────────────────────────

export interface RestoreOptions {
  /** The backup directory. */
  source: string;
  dataDir: string;
  log?: (line: string) => void;
  /** Told each temporary directory while it exists (a CLI removes it if it must exit at once), then undefined. */
  onTemp?: (dir: string | undefined) => void;
  /** Aborting stops the restore while it copies (removing the copy); the swap itself, a few renames, is never cut short. */
  signal?: AbortSignal;
  now?: () => Date;
}

export interface RestoreResult {
  manifest: Manifest;
  /** Where DATA_DIR's previous content went (undefined when it was empty). */
  previous: string | undefined;
  ms: number;
}

/** Where to build the new content and where to put the old: beside DATA_DIR, or inside it if that cannot work. */
function placement(dataDir: string, now: Date): { staging: string; aside: string; inside: boolean } {
  const parent = dirname(dataDir);
  let inside = false;
  try {
    // A mount point (DATA_DIR on its own disk) cannot be renamed into from its parent's file system; a parent we cannot
    // write to cannot hold the siblings. Either way: build and keep them as hidden directories inside DATA_DIR.
    if (statSync(parent).dev !== statSync(dataDir).dev) inside = true;
    accessSync(parent, fsConstants.W_OK);
  } catch {
    inside = true;
  }
  const rnd = randomBytes(6).toString('hex');
  let aside = inside ? join(dataDir, `.before-restore-${stamp(now)}`) : `${dataDir}.before-restore-${stamp(now)}`;
  for (let n = 2; existsSync(aside); n++) aside = `${aside.replace(/-\d+$/, '')}-${n}`;
  return { staging: inside ? join(dataDir, `.restoring-${rnd}`) : `${dataDir}.restoring-${rnd}`, aside, inside };
}

/** chown a tree (restore run as root into a DATA_DIR that the service's user owns). */
async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  if ((await lstat(path)).isDirectory()) for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const log = opts.log ?? (() => {});
  const source = resolve(opts.source);
  const dataDir = resolve(opts.dataDir);
  const t0 = performance.now();
  if (isInside(dataDir, source) || isInside(source, dataDir)) throw new BackupError(`the backup ${source} and DATA_DIR ${dataDir} overlap: restore from a backup stored elsewhere`);

  // Refusals first, all without writing: a server on DATA_DIR, then anything wrong with the backup.
  const running = lockOwner(dataDir);
  if (running) throw new BackupError(`a Risk Census server (process ${running}) is running on ${dataDir}: stop it first (Ctrl-C, or systemctl stop risk-census), then restore`);
  log(`Checking the backup in ${source}…`);
  const manifest = await verifyBackup(source, log, opts.signal);
  log(`  backup of ${manifest.snapshotAt} from ${manifest.hostname}:${manifest.dataDir}: ${plural(manifest.records, 'record')}, schema v${manifest.schemaVersion}, ${plural(manifest.files.length, 'file')} — all intact`);

  // Take DATA_DIR's lock for the whole restore (a server started meanwhile refuses to run on it).
  const { lockDataDir } = await import('./embedded');
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir);
  } catch (e) {
    if (describeFsError(e)) throw explain(e, dataDir, 'Nothing was changed.');
    throw new BackupError(`${(e as Error).message}. Nothing was changed.`);
  }
  const temps = new Set<string>();
  const track = (d: string | undefined, add: boolean) => {
    if (d) add ? temps.add(d) : temps.delete(d);
    opts.onTemp?.(add ? d : undefined);
  };
  let staging: string | undefined;
  try {
    const place = placement(dataDir, (opts.now ?? (() => new Date()))());
    staging = place.staging;
    const owner = statSync(dataDir);
    const chownTo = process.getuid?.() === 0 && owner.uid !== 0 ? { uid: owner.uid, gid: owner.gid } : undefined;

    // 1. The new content, beside the old: every file copied and checked against the manifest again, all fsynced.
    try {
      await mkdir(staging, { mode: 0o700 });
      track(staging, true);
      const dirs = new Set<string>([staging]);
      let done = 0;
      let bytes = 0;
      const progress = throttled(log);
      await inParallel(manifest.files, PARALLEL_COPIES, async (f) => {
        if (opts.signal?.aborted) throw new BackupError('interrupted; the partial copy was removed, nothing in DATA_DIR was changed');
        const dest = join(staging!, ...f.path.split('/'));
        const d = dirname(dest);
        if (!dirs.has(d)) {
          await mkdir(d, { recursive: true, mode: f.path.startsWith('keys/') ? 0o700 : 0o755 });
          for (let x = d; !dirs.has(x); x = dirname(x)) dirs.add(x);
        }
        const copied = await copyHashed(join(source, ...f.path.split('/')), dest, f.path.startsWith('keys/') ? 0o600 : 0o644);
        if (copied.size !== f.size || copied.sha256 !== f.sha256) throw new BackupError(`${f.path} changed in the backup while it was being restored: check the backup's disk and try again`);
        done++;
        bytes += copied.size;
        progress(`  restored ${done.toLocaleString('en-US')}/${manifest.files.length.toLocaleString('en-US')} files (${formatBytes(bytes)})`, done === manifest.files.length);
      });
      if (chownTo) await chownTree(staging, chownTo.uid, chownTo.gid);
      await inParallel([...dirs], PARALLEL_COPIES, fsyncDir);
      await fsyncDir(dirname(staging));
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      track(staging, false);
      throw explain(e, staging, 'The partial copy was removed; nothing in DATA_DIR was changed.');
    }

    // 2. The swap: the old content aside, the new into place, by renames (the lock file stays where it is).
    const skip = (name: string) => name === LOCK_FILE || (place.inside && (name.startsWith('.restoring-') || name.startsWith('.before-restore-')));
    const old = readdirSync(dataDir).filter((n) => !skip(n));
    const fresh = readdirSync(staging);
    const movedAside: string[] = [];
    const movedIn: string[] = [];
    try {
      if (old.length) {
        await mkdir(place.aside, { mode: 0o700 });
        if (chownTo) await chown(place.aside, chownTo.uid, chownTo.gid);
        for (const n of old) {
          await rename(join(dataDir, n), join(place.aside, n));
          movedAside.push(n);
        }
        await fsyncDir(place.aside);
      }
      for (const n of fresh) {
        await rename(join(staging, n), join(dataDir, n));
        movedIn.push(n);
      }
      await fsyncDir(dataDir);
      await fsyncDir(dirname(place.aside));
    } catch (e) {
      // Put everything back as it was.
      const stuck: string[] = [];
      for (const n of movedIn.reverse()) await rename(join(dataDir, n), join(staging, n)).catch(() => stuck.push(join(dataDir, n)));
      for (const n of movedAside.reverse()) await rename(join(place.aside, n), join(dataDir, n)).catch(() => stuck.push(join(place.aside, n)));
      if (!stuck.length) {
        await rm(staging, { recursive: true, force: true });
        track(staging, false);
        if (old.length) await rmdir(place.aside).catch(() => undefined);
        throw explain(e, dataDir, 'DATA_DIR was put back as it was.');
      }
      throw new BackupError(
        `the restore failed while swapping the data (${describeFsError(e) ?? (e as Error).message}) and could not put back: ${stuck.join(', ')}. ` +
          `The previous data is in ${place.aside} (and DATA_DIR), the restored data in ${staging}: move them back by hand before starting the server.`,
      );
    }
    await rmdir(staging).catch(() => undefined);
    track(staging, false);
    const ms = performance.now() - t0;
    const previous = old.length ? place.aside : undefined;
    log(`Restored into ${dataDir} in ${(ms / 1000).toFixed(1)} s: ${plural(manifest.records, 'record')} as of ${manifest.snapshotAt}.`);
    log(previous ? `  The previous data was moved to ${previous} (delete it once the restored data is checked).` : '  DATA_DIR was empty: nothing was moved aside.');
    if (manifest.schemaVersion < SCHEMA_VERSION) {
      log(`  The backup is at schema v${manifest.schemaVersion}; the server upgrades it to v${SCHEMA_VERSION} when it starts (after an automatic backup of the database).`);
    }
    return { manifest, previous, ms };
  } finally {
    for (const d of temps) removeQuietly(d);
    unlock();
  }
}

// ───────────────────────────── before a migration ─────────────────────────────

export interface PreMigrationOptions {
  /** The version the server is about to migrate to (default: this release's SCHEMA_VERSION). */
  schemaVersion?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

/**
 * Before the server migrates an existing database to a newer schema, copy it (online backup API, integrity-checked,
 * fsynced) to `DATA_DIR/backups/pre-migration-v<from>-<timestamp>.db`. Returns that path, or undefined when no backup is
 * needed: no database yet, an empty one (no tables: nothing to lose), one already current (or newer: the server will
 * refuse it), or a DATA_DIR another live server holds (the server will refuse to start). Throws when the backup cannot
 * be written: the server must not migrate without it.
 *
 * The copy is written under a temporary name in the same directory and renamed when complete, so a backup that was
 * interrupted never looks complete.
 */
export async function backupBeforeMigration(dataDir: string, opts: PreMigrationOptions = {}): Promise<string | undefined> {
  const to = opts.schemaVersion ?? SCHEMA_VERSION;
  const dbFile = join(resolve(dataDir), DATABASE_FILE);
  if (!existsSync(dbFile) || statSync(dbFile).size === 0 || lockOwner(dataDir)) return undefined;
  const probe = new Database(dbFile, { readonly: true, fileMustExist: true, timeout: 10_000 });
  let from: number;
  let objects: number;
  try {
    from = Number(probe.pragma('user_version', { simple: true }));
    objects = Number(probe.prepare('SELECT count(*) FROM sqlite_schema').pluck().get());
  } finally {
    probe.close();
  }
  if (objects === 0 || from >= to) return undefined;
  const dir = join(resolve(dataDir), PRE_MIGRATION_DIR);
  const name = `pre-migration-v${from}-${stamp((opts.now ?? (() => new Date()))())}.db`;
  const final = join(dir, name);
  const tmp = join(dir, `.${name}.partial-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    const snap = await snapshotDatabase(dbFile, tmp);
    if (snap.facts.schemaVersion !== from) throw new BackupError(`the database changed from schema v${from} to v${snap.facts.schemaVersion} while it was being backed up`);
    if (existsSync(final)) throw new BackupError(`${final} already exists`);
    await rename(tmp, final);
    await fsyncDir(dir);
    opts.log?.(`backed up the database (schema v${from}, ${plural(snap.facts.records, 'record')}, ${formatBytes(snap.bytes)}) to ${final} before upgrading it to v${to}`);
    return final;
  } catch (e) {
    removeQuietly(tmp);
    throw explain(e, dir, 'Could not back up the database before upgrading it, so it was not upgraded: free some space or fix the permissions, then start again.');
  }
}
