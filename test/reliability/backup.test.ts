/**
 * Backup and restore of `npm start`'s embedded DATA_DIR, with real processes throughout (no mocks):
 *  - a real server (infra/local/start.ts) under a 16-client `PUT ?submit=true` load, the backup CLI run as a child
 *    process in the middle of it; the server stopped; the restore CLI into a fresh DATA_DIR; a server on it must hold
 *    every submission acknowledged before the backup was started, none sent after it finished, counters equal to a
 *    recount (reconcile: no drift), and every attachment of the demo records must download, byte for byte;
 *  - restore refuses, naming what is wrong and leaving DATA_DIR exactly as it was: a truncated database, a missing,
 *    extra or altered file, a hand-edited manifest, no manifest, a database that fails integrity_check, a schema newer
 *    than this release, and a server running on DATA_DIR;
 *  - a backup killed with SIGKILL, or stopped with Ctrl-C, never looks complete (and restore refuses what it left);
 *  - a full disk, a read-only file system and a directory it may not write to give a one-line reason, exit 1 and no
 *    temporary output; a DATA_DIR that is a mount point, or whose parent the service user may not write, is restored
 *    with the previous content kept inside it (tmpfs mounts need root with CAP_SYS_ADMIN, as the tests and CI run: without
 *    it those cases fail rather than pass unexamined; the permission cases run as uid 65534 when run as root).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestChecksum, type Manifest } from '../../infra/local/backup-core';
import { SCHEMA_VERSION } from '../../functions/adapters/sqlite/database';
import { freePort } from '../../infra/local/ports';
import { Client, login, newId } from '../support/stack';

const ROOT = resolve(import.meta.dirname, '../..');
const CLIENTS = 16;
const VILLAGES = ['420999001001', '420999001002', '420999001003'];
const IS_ROOT = process.getuid?.() === 0;

const work = mkdtempSync(join(tmpdir(), 'risk-census-backup-'));
// Traversable by the unprivileged user of the permission case.
chmodSync(work, 0o755);
const LIVE = join(work, 'live'); // the server under load
const BACKUP = join(work, 'backup'); // the backup taken during the load
const RESTORED = join(work, 'restored'); // a fresh DATA_DIR it is restored into
const VICTIM = join(work, 'victim'); // a DATA_DIR with data, that refused restores must leave untouched

interface Proc {
  child: ChildProcess;
  out: () => string;
  exit: Promise<unknown>;
}
const procs: Proc[] = [];
const mounts: string[] = [];

function cleanEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, ...extra };
  for (const k of ['DYNAMODB_ENDPOINT', 'S3_ENDPOINT', 'BUCKET', 'TABLE_PREFIX', 'LOCAL_KEYS_FILE', 'HOST', 'STORE', 'DEBUG']) delete env[k];
  env.LOG_LEVEL = 'silent';
  return env;
}

function startServer(dataDir: string, port: number): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/support/no-aws-sdk.mjs', 'infra/local/start.ts'], {
    cwd: ROOT,
    env: cleanEnv(dataDir, { PORT: String(port) }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const p = { child, out: () => out, exit: new Promise((r) => child.once('exit', r)) };
  procs.push(p);
  return p;
}

async function ready(p: Proc, ms = 180_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = /Risk Census is running at (\S+)/.exec(p.out());
    if (m && p.out().includes('Press Ctrl-C to stop.')) return m[1]!;
    if (p.child.exitCode !== null) throw new Error(`the server exited:\n${p.out()}`);
    if (Date.now() > deadline) throw new Error(`not ready in time:\n${p.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopServer(p: Proc): Promise<void> {
  process.kill(-p.child.pid!, 'SIGTERM');
  await p.exit;
}

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Run `infra/local/<cli>.ts <arg>` with DATA_DIR=dataDir, as npm run backup/restore does. */
/** A temporary folder owned by `uid` (tsx keeps its cache under TMPDIR). */
function userTmp(uid: number, gid: number): string {
  const dir = mkdtempSync(join(tmpdir(), `risk-census-uid${uid}-`));
  chownSync(dir, uid, gid);
  return dir;
}

function runCli(cli: 'backup' | 'restore', arg: string, dataDir: string, opts: { onLine?: (line: string, child: ChildProcess) => void; uid?: number; gid?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/support/no-aws-sdk.mjs', `infra/local/${cli}.ts`, arg], {
    cwd: ROOT,
    // Another user cannot write the runner's TMPDIR (CI points it into the checkout): give it one of its own.
    env: { ...cleanEnv(dataDir), ...(opts.uid !== undefined ? { TMPDIR: userTmp(opts.uid, opts.gid ?? opts.uid) } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid } : {}),
  });
  const p: Proc = { child, out: () => out, exit: new Promise((r) => child.once('exit', r)) };
  procs.push(p);
  let out = '';
  let err = '';
  let pending = '';
  child.stdout!.on('data', (b: Buffer) => {
    const s = b.toString('utf8');
    out += s;
    pending += s;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) opts.onLine?.(l, child);
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  return new Promise((res) => child.once('close', (code, signal) => res({ code, signal, out, err })));
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` → size and SHA-256 (and every directory), to compare a DATA_DIR before and after. */
function treeState(dir: string): Record<string, string> {
  const state: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        state[`${r}/`] = 'dir';
        walk(p, r);
      } else state[r] = `${statSync(p).size}:${sha256(readFileSync(p))}`;
    }
  };
  walk(dir, '');
  return state;
}

/** What sits beside `dir` with its name as a prefix (`.restoring-…`, `.before-restore-…`). */
const siblings = (dir: string) =>
  readdirSync(dirname(dir))
    .filter((n) => n.startsWith(`${basename(dir)}.`))
    .sort();

const house = (n: number) => ({
  formId: 'housing.rural-house',
  regionCode: VILLAGES[n % VILLAGES.length],
  data: { householder: `备份测试${n}`, floors: 1 + (n % 3), floor_area: 80 + n, year_built: 1990 + (n % 30), structure: 'masonry', strengthened: false, location: { lat: 30.6, lng: 114.3 } },
});

const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

/** Rewrite a backup's manifest after changing one of its files on purpose, so that only the deeper check can catch it. */
function resealed(dir: string, edit: (m: Manifest) => void): void {
  const m = readManifest(dir);
  const db = readFileSync(join(dir, 'census.db'));
  const entry = m.files.find((f) => f.path === 'census.db')!;
  entry.size = db.length;
  entry.sha256 = sha256(db);
  edit(m);
  m.checksum = manifestChecksum(m as unknown as Record<string, unknown>);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
}

/** Mount a tmpfs of `size` at a new directory (only root with CAP_SYS_ADMIN can). */
function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
  if (r.status !== 0) return false;
  mounts.push(dir);
  return true;
}


afterAll(async () => {
  for (const p of procs) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(p.child.spawnargs.includes('infra/local/start.ts') ? -p.child.pid! : p.child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await Promise.race([p.exit, new Promise((r) => setTimeout(r, 5_000))]);
    }
  }
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  rmSync(work, { recursive: true, force: true });
}, 30_000);

describe('backup while the server runs under load, then restore', () => {
  let manifest: Manifest;

  it('a restore of a backup taken under a 16-client load holds every submission acknowledged before it, no drift, all attachments', async () => {
    const first = startServer(LIVE, await freePort());
    const url = await ready(first);
    const demoRecords = Number(/(\d+) demo records/.exec(first.out())?.[1]);
    expect(demoRecords).toBeGreaterThan(100);
    const staff = await login(url, 'staff-housing');

    const acked = new Map<string, { i: number; sentAt: number; ackAt: number }>();
    let stop = false;
    let loadError: unknown;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        const id = newId();
        const sentAt = performance.now();
        const r = await staff.put(`/api/submissions/${id}?submit=true`, house(i));
        if (r.status !== 201) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
        acked.set(id, { i, sentAt, ackAt: performance.now() });
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, worker)).catch((e) => void (loadError = e));
    const until = async (cond: () => boolean) => {
      while (!cond()) {
        if (loadError) throw loadError;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => acked.size >= 300);

    // Acknowledged before the backup began: answered 2xx before its process was even spawned, so committed before its
    // snapshot (which starts later). The CLI's own "snapshot started" line is recorded for the report.
    const beforeBackup = new Map(acked);
    const spawnedAt = performance.now();
    let ackedAtSnapshotLine = -1;
    const result = await runCli('backup', BACKUP, LIVE, { onLine: (l) => l.includes('snapshot started') && (ackedAtSnapshotLine = acked.size) });
    const exitedAt = performance.now();
    // More load after the backup finished: those submissions must not be in it.
    const afterTarget = acked.size + 100;
    await until(() => acked.size >= afterTarget);
    stop = true;
    await load;
    if (loadError) throw loadError;

    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(new RegExp(`snapshot started \\S+: [\\d,]+ records \\(schema v${SCHEMA_VERSION}\\)`));
    expect(result.out).toMatch(/files: ([\d,]+)\/\1 copied/);
    expect(result.out).toMatch(/Backup complete: /);
    expect(ackedAtSnapshotLine).toBeGreaterThanOrEqual(beforeBackup.size);
    // The server kept acknowledging submissions while the backup ran.
    const duringBackup = [...acked.values()].filter((a) => a.ackAt > spawnedAt && a.ackAt < exitedAt).length;
    expect(duringBackup).toBeGreaterThan(0);
    expect(siblings(BACKUP)).toEqual([]);

    manifest = readManifest(BACKUP);
    expect(manifest.checksum).toBe(manifestChecksum(manifest as unknown as Record<string, unknown>));
    expect(manifest.schemaVersion).toBe(SCHEMA_VERSION);
    expect(manifest.records).toBeGreaterThanOrEqual(demoRecords + beforeBackup.size);
    expect(manifest.records).toBeLessThanOrEqual(demoRecords + n);
    expect(manifest.dataDir).toBe(LIVE);
    const onDisk = treeState(BACKUP);
    for (const f of manifest.files) expect(onDisk[f.path], f.path).toBe(`${f.size}:${f.sha256}`);
    expect(Object.keys(onDisk).filter((k) => !k.endsWith('/')).length).toBe(manifest.files.length + 1);
    expect(manifest.files.some((f) => f.path === 'keys/files-secret')).toBe(true);
    expect(manifest.files.some((f) => f.path === 'keys/signing-key.json')).toBe(true);

    const seconds = /in ([\d.]+) s/.exec(result.out)?.[1];
    const size = /, ([\d.]+ [KMG]?B), in/.exec(result.out)?.[1];
    console.info(
      `backup of the demo district under a ${CLIENTS}-client load: ${seconds} s, ${size} (${manifest.records} records, ${manifest.files.length} files); ` +
        `${beforeBackup.size} acknowledged before it began, ${duringBackup} while it ran`,
    );

    await stopServer(first);

    // Restore into a DATA_DIR that does not exist yet (a new machine).
    const restore = await runCli('restore', BACKUP, RESTORED);
    expect(restore.err).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.out).toMatch(/all intact/);
    expect(restore.out).toMatch(/DATA_DIR was empty: nothing was moved aside/);
    expect(siblings(RESTORED)).toEqual([]);
    expect(existsSync(join(RESTORED, 'server.lock'))).toBe(false);

    const second = startServer(RESTORED, await freePort());
    const url2 = await ready(second);
    expect(second.out()).not.toMatch(/Seeded demo data/);
    const c = new Client(url2, (await login(url2, 'staff-housing')).token);
    const missing: string[] = [];
    for (const [id, { i }] of beforeBackup) {
      const r = await c.get(`/api/submissions/${id}`);
      if (r.status !== 200 || r.body.status !== 'submitted' || r.body.data.householder !== `备份测试${i}`) missing.push(`${id}: ${r.status}`);
    }
    expect(missing).toEqual([]);
    // Sent after the backup had finished: not in it.
    const sentAfter = [...acked].filter(([, a]) => a.sentAt > exitedAt);
    expect(sentAfter.length).toBeGreaterThan(0);
    for (const [id] of sentAfter.slice(0, 50)) expect((await c.get(`/api/submissions/${id}`)).status, id).toBe(404);

    const admin = await login(url2, 'admin');
    const rec = await admin.post('/api/admin/reconcile', {});
    expect(rec.status).toBe(200);
    expect(rec.body.drift).toEqual([]);
    expect(rec.body.submissions).toBe(manifest.records);

    // Every attachment a record of the restored database refers to downloads, with the bytes that were backed up.
    const db = new Database(join(RESTORED, 'census.db'), { readonly: true, fileMustExist: true });
    const refs = db
      .prepare<[], { id: string; record: string }>("SELECT id, record FROM submissions WHERE record LIKE '%\"attachments\":[\"%'")
      .all()
      .flatMap((r) => ((JSON.parse(r.record) as { attachments: string[] }).attachments ?? []).map((a) => ({ id: r.id, attachment: a })));
    db.close();
    expect(refs.length).toBeGreaterThan(100);
    const bySha = new Map(manifest.files.map((f) => [f.path, f.sha256]));
    const bad: string[] = [];
    for (let k = 0; k < refs.length; k += 16) {
      await Promise.all(
        refs.slice(k, k + 16).map(async ({ id, attachment }) => {
          const link = await admin.get(`/api/submissions/${id}/attachments/${attachment}`);
          if (link.status !== 200) return void bad.push(`${id}/${attachment}: link ${link.status}`);
          const file = await fetch(new URL(link.body.url, url2));
          const bytes = new Uint8Array(await file.arrayBuffer());
          if (file.status !== 200 || sha256(bytes) !== bySha.get(`files/attachments/${id}/${attachment}`)) bad.push(`${id}/${attachment}: ${file.status}`);
        }),
      );
    }
    expect(bad).toEqual([]);
    await stopServer(second);
  }, 600_000);

  describe('restore refuses, leaving DATA_DIR as it was', () => {
    let before: Record<string, string>;
    beforeAll(() => {
      expect(manifest, 'the backup of the first test').toBeDefined();
      cpSync(RESTORED, VICTIM, { recursive: true });
      before = treeState(VICTIM);
    });

    /** A copy of the good backup, changed by `mutate`; restoring it onto VICTIM must fail with `message`. */
    const refused = async (name: string, mutate: (dir: string) => void, message: RegExp) => {
      const dir = join(work, `bad-${name}`);
      cpSync(BACKUP, dir, { recursive: true });
      mutate(dir);
      const r = await runCli('restore', dir, VICTIM);
      expect(r.code).toBe(1);
      expect(r.out).not.toMatch(/Restored into/);
      expect(r.err).toMatch(/^Cannot restore: /);
      expect(r.err).toMatch(message);
      expect(treeState(VICTIM)).toEqual(before);
      expect(siblings(VICTIM)).toEqual([]);
      return r.err;
    };
    const anAttachment = () => manifest.files.find((f) => f.path.startsWith('files/attachments/') && !f.path.endsWith('.meta.json'))!.path;

    it('a truncated database', async () => {
      await refused('truncated', (d) => truncateSync(join(d, 'census.db'), Math.floor(statSync(join(d, 'census.db')).size / 2)), /census\.db is \d+ bytes, the manifest says \d+ \(truncated/);
    });
    it('a file deleted', async () => {
      const p = anAttachment();
      const err = await refused('deleted', (d) => unlinkSync(join(d, p)), /is missing/);
      expect(err).toContain(`${p} is missing`);
    });
    it('a file altered (same size)', async () => {
      const p = anAttachment();
      const err = await refused(
        'altered',
        (d) => {
          const b = readFileSync(join(d, p));
          b[b.length - 1] = b[b.length - 1]! ^ 0xff;
          writeFileSync(join(d, p), b);
        },
        /does not have the SHA-256 the manifest records/,
      );
      expect(err).toContain(p);
    });
    it('an extra file', async () => {
      await refused('extra', (d) => writeFileSync(join(d, 'files', 'stray.bin'), 'x'), /files\/stray\.bin is not in the manifest/);
    });
    it('a manifest edited by hand', async () => {
      await refused(
        'edited',
        (d) => {
          const m = readManifest(d);
          m.records += 1;
          writeFileSync(join(d, 'manifest.json'), JSON.stringify(m, null, 2));
        },
        /manifest\.json does not match its checksum/,
      );
    });
    it('no manifest (an interrupted backup)', async () => {
      await refused('no-manifest', (d) => unlinkSync(join(d, 'manifest.json')), /has no manifest\.json: it is not a complete Risk Census backup/);
    });
    it('a database that fails integrity_check (manifest resealed over it)', async () => {
      await refused(
        'corrupt',
        (d) => {
          const f = join(d, 'census.db');
          const b = readFileSync(f);
          const pages = b.length / 4096;
          b.fill(0x5a, Math.floor(pages / 2) * 4096, (Math.floor(pages / 2) + 1) * 4096);
          writeFileSync(f, b);
          resealed(d, () => {});
        },
        /fails PRAGMA integrity_check/,
      );
    });
    it('a schema newer than this release knows', async () => {
      await refused(
        'newer',
        (d) => {
          const db = new Database(join(d, 'census.db'));
          db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
          db.close();
          resealed(d, (m) => (m.schemaVersion = SCHEMA_VERSION + 1));
        },
        new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this release knows \\(${SCHEMA_VERSION}\\)`),
      );
    });

    it('a server running on DATA_DIR', async () => {
      const server = startServer(VICTIM, await freePort());
      const url = await ready(server);
      const keysBefore = Object.entries(treeState(VICTIM)).filter(([k]) => k.startsWith('keys/') || k.startsWith('files/'));
      const r = await runCli('restore', BACKUP, VICTIM);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^Cannot restore: a Risk Census server \\(process ${server.child.pid}\\) is running on ${VICTIM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: stop it first`));
      expect(Object.entries(treeState(VICTIM)).filter(([k]) => k.startsWith('keys/') || k.startsWith('files/'))).toEqual(keysBefore);
      expect(siblings(VICTIM)).toEqual([]);
      expect(readFileSync(join(VICTIM, 'server.lock'), 'utf8').trim()).toBe(String(server.child.pid));
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      await stopServer(server);
      // Stopped: the same restore goes through, and the previous content is kept beside.
      const ok = await runCli('restore', BACKUP, VICTIM);
      expect(ok.code).toBe(0);
      const aside = /The previous data was moved to (\S+) /.exec(ok.out)?.[1];
      expect(aside).toMatch(new RegExp(`^${VICTIM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.before-restore-\\d{8}T\\d{6}Z$`));
      expect(siblings(VICTIM)).toEqual([basename(aside!)]);
      expect(existsSync(join(aside!, 'census.db'))).toBe(true);
      const restored = treeState(VICTIM);
      for (const f of manifest.files) expect(restored[f.path], f.path).toBe(`${f.size}:${f.sha256}`);
    }, 300_000);
  });

  it('a backup killed (SIGKILL) or interrupted (Ctrl-C) never looks complete', async () => {
    const killed = join(work, 'killed');
    const k = await runCli('backup', killed, RESTORED, { onLine: (l, child) => l.includes('snapshot started') && child.kill('SIGKILL') });
    expect(k.signal).toBe('SIGKILL');
    expect(existsSync(killed)).toBe(false);
    const left = siblings(killed);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^killed\.partial-[0-9a-f]+$/);
    const r = await runCli('restore', join(work, left[0]!), VICTIM);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/has no manifest\.json: it is not a complete Risk Census backup \(its name says it is an interrupted backup\)/);
    const r2 = await runCli('restore', killed, VICTIM);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/killed does not exist/);

    const stopped = join(work, 'stopped');
    const i = await runCli('backup', stopped, RESTORED, { onLine: (l, child) => l.includes('database copied') && child.kill('SIGINT') });
    expect(i.code).toBe(130);
    expect(i.err).toMatch(/SIGINT: stopping the backup and removing what it wrote/);
    expect(i.err).toMatch(/Backup failed: interrupted/);
    expect(existsSync(stopped)).toBe(false);
    expect(siblings(stopped)).toEqual([]);
  });

  describe('permissions, mount points, a full disk, a read-only file system', () => {
    const oneLine = (s: string) => s.trim().split('\n').length === 1;

    it('restore into a DATA_DIR it may not write: EACCES, one line, nothing changed', async () => {
      const dataDir = join(work, 'locked');
      mkdirSync(join(dataDir, 'files'), { recursive: true });
      writeFileSync(join(dataDir, 'files', 'old.txt'), 'old data');
      const before = treeState(dataDir);
      const readable = join(work, 'readable-backup');
      cpSync(BACKUP, readable, { recursive: true });
      spawnSync('chmod', ['-R', 'a+rX', readable]);
      let r: CliResult;
      if (IS_ROOT) r = await runCli('restore', readable, dataDir, { uid: 65534, gid: 65534 });
      else {
        chmodSync(dataDir, 0o555);
        r = await runCli('restore', readable, dataDir);
        chmodSync(dataDir, 0o755);
      }
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Cannot restore: \S+: permission denied \(EACCES\)\. Nothing was changed\./);
      expect(oneLine(r.err)).toBe(true);
      expect(treeState(dataDir)).toEqual(before);
      expect(siblings(dataDir)).toEqual([]);
    });

    /** The restored tree matches the manifest, beside the hidden directory holding the previous content. */
    const expectRestored = (dataDir: string) => {
      const state = treeState(dataDir);
      for (const f of manifest.files) expect(state[f.path], f.path).toBe(`${f.size}:${f.sha256}`);
      const top = readdirSync(dataDir).sort();
      expect(top.filter((n) => !n.startsWith('.before-restore-'))).toEqual(['census.db', 'files', 'keys']);
      const aside = top.filter((n) => n.startsWith('.before-restore-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dataDir, aside[0]!, 'files', 'old.txt'), 'utf8')).toBe('old data');
    };

    it('restore as the service user into a DATA_DIR whose parent it may not write (/var/lib/…): the old data is kept inside, hidden', async () => {
      const parent = join(work, 'root-owned-parent');
      const dataDir = join(parent, 'data');
      mkdirSync(join(dataDir, 'files'), { recursive: true });
      writeFileSync(join(dataDir, 'files', 'old.txt'), 'old data');
      const readable = join(work, 'readable-backup-2');
      cpSync(BACKUP, readable, { recursive: true });
      spawnSync('chmod', ['-R', 'a+rX', readable]);
      let r: CliResult;
      if (IS_ROOT) {
        spawnSync('chown', ['-R', '65534:65534', dataDir]);
        r = await runCli('restore', readable, dataDir, { uid: 65534, gid: 65534 });
      } else {
        chmodSync(parent, 0o555);
        r = await runCli('restore', readable, dataDir);
        chmodSync(parent, 0o755);
      }
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`The previous data was moved to ${dataDir}/.before-restore-`);
      expect(readdirSync(parent)).toEqual(['data']);
      expectRestored(dataDir);
      if (IS_ROOT) expect(statSync(join(dataDir, 'census.db')).uid).toBe(65534);
    });

    it('restore into a DATA_DIR that is a mount point (its own disk): the old data is kept inside it, hidden', async () => {
      const dataDir = join(work, 'mounted-data');
      expect(mountTmpfs(dataDir, '64m')).toBe(true);
      mkdirSync(join(dataDir, 'files'));
      writeFileSync(join(dataDir, 'files', 'old.txt'), 'old data');
      const r = await runCli('restore', BACKUP, dataDir);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`The previous data was moved to ${dataDir}/.before-restore-`);
      expect(siblings(dataDir)).toEqual([]);
      expectRestored(dataDir);
    });

    it('backup onto a full disk (the database does not fit): one line, no partial backup left', async () => {
      const mnt = join(work, 'full-1');
      expect(mountTmpfs(mnt, '1m')).toBe(true);
      const r = await runCli('backup', join(mnt, 'b'), RESTORED);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Backup failed: \S+: the disk is full \((SQLITE_FULL|ENOSPC)\)\. The incomplete backup was removed/);
      expect(oneLine(r.err)).toBe(true);
      expect(readdirSync(mnt)).toEqual([]);
    });

    it('backup onto a full disk (the files do not fit): one line, no partial backup left', async () => {
      const mnt = join(work, 'full-2');
      // Room for the database copy, not for the thousand small files after it.
      expect(mountTmpfs(mnt, `${Math.ceil(statSync(join(BACKUP, 'census.db')).size / 1024) + 400}k`)).toBe(true);
      const r = await runCli('backup', join(mnt, 'b'), RESTORED);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Backup failed: \S+: the disk is full \(ENOSPC\)\. The incomplete backup was removed/);
      expect(oneLine(r.err)).toBe(true);
      expect(readdirSync(mnt)).toEqual([]);
    });

    it('restore onto a full disk: one line, the partial copy removed, DATA_DIR unchanged', async () => {
      const mnt = join(work, 'full-3');
      expect(mountTmpfs(mnt, '1m')).toBe(true);
      const dataDir = join(mnt, 'data');
      mkdirSync(join(dataDir, 'files'), { recursive: true });
      writeFileSync(join(dataDir, 'files', 'old.txt'), 'old data');
      const before = treeState(dataDir);
      const r = await runCli('restore', BACKUP, dataDir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Cannot restore: \S+: the disk is full \(ENOSPC\)\. The partial copy was removed; nothing in DATA_DIR was changed\./);
      expect(oneLine(r.err)).toBe(true);
      expect(treeState(dataDir)).toEqual(before);
      expect(readdirSync(mnt)).toEqual(['data']);
    });

    it('restore onto, and backup to, a read-only file system: one line each, nothing changed', async () => {
      const mnt = join(work, 'ro');
      expect(mountTmpfs(mnt, '4m')).toBe(true);
      const dataDir = join(mnt, 'data');
      mkdirSync(join(dataDir, 'files'), { recursive: true });
      writeFileSync(join(dataDir, 'files', 'old.txt'), 'old data');
      expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
      const before = treeState(dataDir);
      const r = await runCli('restore', BACKUP, dataDir);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^Cannot restore: \S+: the file system is read-only \(EROFS\)\. Nothing was changed\./);
      expect(oneLine(r.err)).toBe(true);
      expect(treeState(dataDir)).toEqual(before);
      expect(readdirSync(mnt)).toEqual(['data']);

      const b = await runCli('backup', join(mnt, 'b'), RESTORED);
      expect(b.code).toBe(1);
      expect(b.err).toMatch(/^Backup failed: \S+: the file system is read-only \(EROFS\)/);
      expect(oneLine(b.err)).toBe(true);
      expect(readdirSync(mnt)).toEqual(['data']);
    });
  });
});
