/**
 * `npm start` smoke test: the real start script as a child process on a fresh DATA_DIR, with a PATH that holds only
 * node and npm (no Java) — it prints the URL and the demo logins, serves the API, the web app (or its placeholder)
 * and /config.json from the embedded store under DATA_DIR, stops cleanly on Ctrl-C (exit 0), and a restart on the same
 * DATA_DIR keeps the data without seeding twice. The server runs under test/support/no-aws-sdk.mjs: any import of the
 * AWS SDK on this path fails the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/local/ports';
import { Client, login, newId } from '../support/stack';

const ROOT = resolve(import.meta.dirname, '../..');
const COUNTY = '420999000000';
const ACCOUNTS = ['admin', 'viewer', ...['emergency', 'agriculture', 'forestry', 'housing'].flatMap((s) => [`reviewer-${s}`, `staff-${s}`])];
/** From "Starting Risk Census" to ready: the emulators, tables, seed and server. */
const READY_MS = 90_000;
/** Before that, `npm start` rebuilds the web app when its sources are newer than web/build (`npm test` builds it first). */
const WEB_BUILD_MS = 180_000;
const STOP_MS = 20_000;

interface Run {
  child: ChildProcess;
  port: number;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
}

const runs: Run[] = [];
let dataDir: string;
let nodeOnlyBin: string;

/** A folder with just node and npm in it: `npm start` must not need anything else on PATH (Java least of all). */
function makeNodeOnlyBin(): string {
  const dir = mkdtempSync(join(tmpdir(), 'risk-census-bin-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  const npm = realpathSync(join(process.execPath, '..', 'npm'));
  symlinkSync(npm, join(dir, 'npm'));
  return dir;
}

function start(port: number): Run {
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), DATA_DIR: dataDir, PATH: nodeOnlyBin };
  // Nothing of a test stack's wiring may leak into the child: it must find everything from PORT and DATA_DIR alone.
  for (const k of ['DYNAMODB_ENDPOINT', 'S3_ENDPOINT', 'BUCKET', 'TABLE_PREFIX', 'LOCAL_KEYS_FILE', 'LOG_LEVEL', 'HOST', 'STORE', 'JAVA_HOME']) delete env[k];
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/support/no-aws-sdk.mjs', 'infra/local/start.ts'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const run: Run = {
    child,
    port,
    output: () => out,
    exited: false,
    exit: new Promise((r) => child.once('exit', (code, signal) => { run.exited = true; r({ code, signal }); })),
  };
  runs.push(run);
  return run;
}

async function waitFor(run: Run, text: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!run.output().includes(text)) {
    if (run.exited) throw new Error(`npm start exited before printing "${text}":\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`npm start did not print "${text}" within ${ms / 1000} s:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ctrl-C in a terminal: SIGINT to the whole process group (the script and its emulators). */
async function interrupt(run: Run) {
  process.kill(-run.child.pid!, 'SIGINT');
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_MS));
  const result = await Promise.race([run.exit, timeout]);
  expect(result, `npm start did not stop within ${STOP_MS / 1000} s:\n${run.output()}`).not.toBe('timeout');
  expect(result, run.output()).toEqual({ code: 0, signal: null });
  expect(run.output()).toContain('Stopped.');
  // The port is free again: nothing answers any more.
  await expect(fetch(`http://127.0.0.1:${run.port}/api/health`)).rejects.toThrow();
}

async function ready(run: Run) {
  await waitFor(run, 'Starting Risk Census', WEB_BUILD_MS);
  await waitFor(run, 'Press Ctrl-C to stop.', READY_MS);
  const m = /Risk Census is running at (\S+)\s+\(ready in ([\d.]+) s\)/.exec(run.output());
  expect(m, run.output()).not.toBeNull();
  console.info(`npm start ready in ${m![2]} s (${runs.length === 1 ? 'fresh DATA_DIR' : 'restart'})`);
  return m![1]!;
}

async function figures(url: string, token: string) {
  const c = new Client(url, token);
  const regions = await c.get('/api/regions');
  const progress = await c.get(`/api/progress?region=${COUNTY}`);
  const forms = await c.get('/api/forms');
  expect(regions.status).toBe(200);
  expect(progress.status).toBe(200);
  return { regions: regions.body.length, forms: forms.body.length, target: progress.body.total.target, draft: progress.body.total.draft };
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'risk-census-start-'));
  nodeOnlyBin = makeNodeOnlyBin();
});

afterAll(async () => {
  for (const run of runs) {
    if (run.exited) continue;
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await Promise.race([run.exit, new Promise((r) => setTimeout(r, 5_000))]);
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(nodeOnlyBin, { recursive: true, force: true });
}, 30_000);

describe('npm start', () => {
  let url: string;
  let adminToken: string;
  let before: Awaited<ReturnType<typeof figures>>;
  const id = newId();
  const shelter = { name: '烟雾测试避难场所', shelter_type: 'outdoor', total_area: 500, effective_area: 400, capacity: 100, location: { lat: 30.6, lng: 114.3 } };

  it('starts on a fresh DATA_DIR and prints the URL, the seed and the demo logins', async () => {
    const port = await freePort();
    const run = start(port);
    url = await ready(run);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const out = run.output();
    expect(out).toMatch(/Seeded demo data: \d+ regions, \d+ census tables, \d+ targets, 10 accounts, [1-9]\d* demo records\./);
    expect(out).toContain('Census-2021!');
    for (const a of ACCOUNTS) expect(out).toMatch(new RegExp(`^\\s+${a}\\s`, 'm'));
    // The embedded store: one database file and a files folder under DATA_DIR, no emulator data.
    expect(existsSync(join(dataDir, 'census.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(false);
  }, WEB_BUILD_MS + READY_MS + 30_000);

  it('serves the API: log in, read progress, create a submission', async () => {
    expect((await new Client(url).get('/api/health')).body).toEqual({ ok: true });
    const admin = await login(url, 'admin');
    adminToken = admin.token!;
    const progress = await admin.get(`/api/progress?region=${COUNTY}`);
    expect(progress.status).toBe(200);
    expect(progress.body.region.code).toBe(COUNTY);
    expect(progress.body.total.target).toBeGreaterThan(0);
    before = await figures(url, adminToken);
    expect(before.regions).toBeGreaterThanOrEqual(1 + 3 + 6);

    const staff = await login(url, 'staff-emergency');
    const r = await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: '420999001001', data: shelter });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const after = await figures(url, adminToken);
    expect(after.draft).toBe(before.draft + 1);
    before = after;
  }, 30_000);

  it('serves HTML at / and the runtime config at /config.json', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toMatch(/<html/i);
    const config = await fetch(`${url}/config.json`);
    expect(config.status).toBe(200);
    expect(config.headers.get('content-type')).toContain('application/json');
    expect(await config.json()).toMatchObject({ authMode: 'local' });
  });

  it('refuses a second server on the same DATA_DIR while the first runs, and leaves the first alone', async () => {
    const second = start(await freePort());
    const result = await Promise.race([second.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), READY_MS))]);
    expect(result, second.output()).toEqual({ code: 1, signal: null });
    expect(second.output()).toMatch(/is in use by another Risk Census server \(process \d+\)/);
    expect((await new Client(url).get('/api/health')).status).toBe(200);
  }, READY_MS + WEB_BUILD_MS);

  it('stops on Ctrl-C with exit code 0', async () => {
    await interrupt(runs[0]!);
  }, STOP_MS + 10_000);

  it('restarts on the same DATA_DIR with the data kept and without seeding again', async () => {
    const port = await freePort();
    const run = start(port);
    url = await ready(run);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(run.output()).not.toContain('Seeded demo data');
    expect(run.output()).toContain('Census-2021!'); // the logins are printed on every start

    // The signing key is kept too: a token from the first run still works.
    const me = await new Client(url, adminToken).get('/api/me');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('admin');

    const staff = await login(url, 'staff-emergency');
    const r = await staff.get(`/api/submissions/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: 'draft', version: 1, data: shelter });
    expect(await figures(url, (await login(url, 'admin')).token!)).toEqual(before);
  }, WEB_BUILD_MS + READY_MS + 30_000);

  it('stops again on Ctrl-C with exit code 0', async () => {
    await interrupt(runs.at(-1)!);
  }, STOP_MS + 10_000);
});
