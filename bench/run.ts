/**
 * `npm run bench` — issue 8's figures, side by side, on this machine, in one run. Prints a table and writes
 * bench-results.json ({ name: { value, target, unit, pass } } for every figure the issue gives a target).
 *
 * The targets are judged on the EMBEDDED store, the one `npm start` runs (SQLite in WAL with synchronous=FULL under a
 * real DATA_DIR on disk, files, in-process jobs); the AWS set (DynamoDB Local on disk + the S3 emulator + the Invoke
 * emulator, `STORE=dynamodb`) is measured in the same run beside it, as information. Every server under test runs in
 * its own process (bench/server.ts, BENCH_STORE=embedded|dynamodb). Comparisons on one server are interleaved (A, B,
 * A, B…) and reported as median ratios; wall-clock figures are printed next to the ratio they explain.
 *
 *   1. submit path end to end (HTTP → auth → validate → transaction) vs a raw write of the same items on the same store:
 *      embedded: SqliteSubmissionStore.write on the server's own database file; DynamoDB: TransactWriteItems (info)
 *   2. validation of a 250-field submission vs ajv's compiled JSON Schema of the same form
 *   3. progress query at 1k / 10k / 100k submissions (embedded): time ratio and rows read
 *   4. sustained ingest, 30 s, 16 clients, PUT ?submit=true, small and 250-field forms, on the embedded store and on
 *      DynamoDB Local on disk, each beside its raw store (16 concurrent raw writes of the same items); server RSS idle and
 *      under that load
 *   5. export of 10k vs 100k rows (embedded): CSV rows/s and peak memory; XLSX and GeoJSON as information
 *   6. Lambda bundle size (zipped) and module init time vs an empty module
 *   7. web entry JS (gzipped) and time to interactive of the largest form vs a static page
 *   S. `npm start` time to ready, fresh DATA_DIR and restart, embedded and STORE=dynamodb
 *
 * `--quick` shortens every phase (for trying the bench out; the figures are then not the issue's); `--only=3,5,S` runs
 * only the phases of those items and merges their figures into bench-results.json.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL = 'silent';

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../functions/adapters/dynamo/client';
import { DynamoDirectoryStore } from '../functions/adapters/dynamo/directory';
import { openDatabase, type Db } from '../functions/adapters/sqlite/database';
import { SqliteDirectoryStore } from '../functions/adapters/sqlite/directory';
import { SqliteProgressStore } from '../functions/adapters/sqlite/progress';
import { SqliteSubmissionStore } from '../functions/adapters/sqlite/submissions';
import type { HistoryEntry, Submission } from '../functions/app/ports';
import { CATALOG, catalogForm } from '../functions/domain/catalog/index';
import type { FormDefinition } from '../functions/domain/forms';
import { generateSample } from '../functions/domain/samples';
import { ROUTES } from '../functions/http/routes';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_REGIONS } from '../infra/local/demo-district';
import { freePort } from '../infra/local/ports';
import { compareExports, EXPORT_FORM, mb, seedExportForms } from './exports';
import { benchBundles } from './lambda';
import { Api, load, median, now, Results, sleep, type LoadResult } from './lib';
import { nextFrom, seedEmbedded, transactionFor } from './seed';
import { cpuWatch, startServer, type ServerProcess as Server, type ServerRss } from './server-process';
import { syntheticAnswers, syntheticSpec, toFormDefinition } from './synthetic-form';
import { benchValidation } from './validation';
import { entryJs, hasFillRoute, largestForm, timeToInteractive, WEB_BUILD } from './web';

const ROOT = resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
/** `--only=3,5`: run only these items' phases; their figures replace those in bench-results.json, the rest stay. */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (...items: string[]) => !ONLY || items.some((i) => ONLY.includes(i));
const INGEST_S = QUICK ? 6 : 30;
const SIDE_S = QUICK ? 3 : 10;
const CLIENTS = 16;
const SIZES = QUICK ? [1_000, 3_000, 10_000] : [1_000, 10_000, 100_000];
/** Item 5: the two export sizes. */
const EXPORT_ROWS = QUICK ? [1_000, 10_000] : [10_000, 100_000];

const SMALL = 'housing.rural-house';
const VILLAGES = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code);
const BIG_SPEC = syntheticSpec(250);
const BIG = toFormDefinition(BIG_SPEC, 'housing.bench-250-fields', 'housing');
const BIG_SAMPLES = Array.from({ length: 64 }, (_, i) => syntheticAnswers(BIG_SPEC, 1000 + i));

const results = new Results();
const log = (s: string) => console.log(s);
const MiB = 1024 * 1024;
const mib = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
/** Other processes' share of the machine while a phase ran (see cpuWatch): a shared machine lowers the figures. */
type Cpu = ReturnType<ReturnType<typeof cpuWatch>>;
const others = (c: Cpu) => `other processes used ${c.othersPct.toFixed(0)}% of the cores meanwhile`;

// ── submissions written by the store's own code, sent raw ───────────────────────────────────────────────────────────

/** Send a transaction; TransactionConflict (a busy progress cell) is retried with the store's backoff. */
async function sendRaw(db: DynamoDBDocumentClient, input: TransactWriteCommandInput): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.send(new TransactWriteCommand(input));
      return attempt;
    } catch (e) {
      const reasons = (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (attempt >= 8 || !reasons.some((r) => r.Code === 'TransactionConflict')) throw e;
      await sleep(Math.random() * 20 * 2 ** Math.min(attempt, 5));
    }
  }
}

/**
 * The raw write of a create+submit on a server's own store, in the store's own code: `prepare` builds what is sent
 * (untimed in item 1), the function it returns sends it.
 *  - embedded: SqliteSubmissionStore.write (record + counter + audit, one fsynced transaction) on a second connection
 *    to the server's DATA_DIR/census.db (WAL lets it write beside the server);
 *  - dynamodb: the TransactWriteItems DynamoSubmissionStore.write would send, sent with the SDK.
 */
interface RawWriter {
  label: string;
  prepare(next: Submission, audit: HistoryEntry[]): Promise<() => Promise<unknown>>;
  close(): void;
}

function rawWriter(server: Server): RawWriter {
  if (server.store === 'embedded') {
    const db = openDatabase({ file: server.dbFile! });
    const store = new SqliteSubmissionStore(db);
    return {
      label: 'SqliteSubmissionStore.write',
      prepare: async (next, audit) => () => store.write({ next, expect: { create: true }, counters: { submitted: 1 }, audit }),
      close: () => db.close(),
    };
  }
  const db = documentClient(server.env);
  return {
    label: 'TransactWriteItems',
    prepare: async (next, audit) => {
      const input = await transactionFor(server.env, next, audit);
      return () => sendRaw(db, input);
    },
    close: () => db.destroy(),
  };
}

function smallAnswers(region: string, n: number) {
  const def = catalogForm(SMALL)!;
  const entry = CATALOG.find((e) => e.definition.id === SMALL)!;
  const d = generateSample(def, entry.sample, { regionCode: region }) as Record<string, unknown>;
  delete d.photos;
  return { ...d, householder: `户主${n}` };
}
const SMALL_SAMPLES = VILLAGES.map((v, i) => smallAnswers(v, i));

function body(form: 'small' | 'big', i: number) {
  const region = VILLAGES[i % VILLAGES.length]!;
  return form === 'small'
    ? { formId: SMALL, regionCode: region, data: SMALL_SAMPLES[i % VILLAGES.length] }
    : { formId: BIG.id, regionCode: region, data: BIG_SAMPLES[i % BIG_SAMPLES.length] };
}

async function reconcile(admin: Api): Promise<{ submissions: number; drift: unknown[] }> {
  const r = await admin.req('POST', '/api/admin/reconcile', {});
  if (r.status !== 200) throw new Error(`reconcile: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Publish the 250-field form on a server's own store and give it targets through the API. */
async function publishBig(server: Server, admin: Api) {
  if (server.store === 'embedded') {
    const db = openDatabase({ file: server.dbFile! });
    try {
      await new SqliteDirectoryStore(db).publishForm(BIG);
    } finally {
      db.close();
    }
  } else {
    const db = documentClient(server.env);
    await new DynamoDirectoryStore(db, server.env).publishForm(BIG);
    db.destroy();
  }
  const t = await admin.req('PUT', '/api/targets', { targets: VILLAGES.map((regionCode) => ({ formId: BIG.id, regionCode, target: 100_000 })) });
  if (t.status !== 200) throw new Error(`targets: ${t.status} ${JSON.stringify(t.body)}`);
}

async function template(admin: Api, form: 'small' | 'big'): Promise<{ template: Submission; me: string }> {
  const me = (await admin.req('GET', '/api/me')).body.userId as string;
  const first = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body(form, 0));
  if (first.status !== 201) throw new Error(`submit ${form}: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
  return { template: first.body as Submission, me };
}

// ── item 1 ──────────────────────────────────────────────────────────────────────────────────────────────────────────

async function submitVsRaw(server: Server, admin: Api, form: 'small' | 'big', rounds: number, perRound: number) {
  const raw = rawWriter(server);
  const { template: tpl, me } = await template(admin, form);
  let i = 1;
  const api = async () => {
    const t = now();
    const r = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body(form, i++));
    const ms = now() - t;
    if (r.status !== 201) throw new Error(`submit: ${r.status}`);
    return ms;
  };
  const direct = async () => {
    const { next, audit } = nextFrom(tpl, VILLAGES[i++ % VILLAGES.length]!, me);
    const send = await raw.prepare(next, audit);
    const t = now();
    await send();
    return now() - t;
  };
  for (let w = 0; w < 30; w++) {
    await api();
    await direct();
  }
  const watch = cpuWatch();
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ra: number[] = [];
    const rb: number[] = [];
    for (let k = 0; k < perRound; k++) {
      // Alternate which goes first, op by op.
      if ((r + k) % 2) {
        ra.push(await api());
        rb.push(await direct());
      } else {
        rb.push(await direct());
        ra.push(await api());
      }
    }
    a.push(...ra);
    b.push(...rb);
    ratios.push(median(ra) / median(rb));
  }
  const cpu = watch();
  raw.close();
  return { apiMs: median(a), rawMs: median(b), ratio: median(ratios), label: raw.label, cpu };
}

// ── item 4 ──────────────────────────────────────────────────────────────────────────────────────────────────────────

const ingestOp = (admin: Api, form: 'small' | 'big') => async (i: number) => {
  const r = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body(form, i));
  return { ok: r.status === 201, status: r.status };
};
const meOp = (admin: Api) => async () => {
  const r = await admin.req('GET', '/api/me');
  return { ok: r.status === 200, status: r.status };
};

/** The raw store's rate for the same items: CLIENTS concurrent async callers of the raw write, for `seconds`. */
async function rawCeiling(server: Server, admin: Api, form: 'small' | 'big', seconds: number): Promise<LoadResult & { label: string; cpu: Cpu }> {
  const raw = rawWriter(server);
  const { template: tpl, me } = await template(admin, form);
  const watch = cpuWatch();
  const r = await load(seconds, CLIENTS, async (i) => {
    const { next, audit } = nextFrom(tpl, VILLAGES[i % VILLAGES.length]!, me);
    await (await raw.prepare(next, audit))();
    // SqliteSubmissionStore.write commits synchronously and returns a settled promise: without a turn of the event
    // loop the 16 callers would starve it (timers, sockets) for the whole phase, as a server's loop never is.
    if (server.store === 'embedded') await new Promise((res) => setImmediate(res));
    return { ok: true, status: 'ok' };
  });
  const cpu = watch();
  raw.close();
  return { ...r, label: raw.label, cpu };
}

function describeLoad(r: LoadResult): string {
  const other = Object.entries(r.statuses)
    .filter(([k]) => k !== '201' && k !== '200' && k !== 'ok')
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return `${r.ok} ok / ${r.failed} failed in ${r.seconds.toFixed(1)} s, p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms${other ? `, ${other}` : ''}`;
}

/** Samples the server's RSS (and its helpers') every 500 ms while `work` runs; returns the peak total. */
async function withRss<T>(server: Server, work: () => Promise<T>): Promise<{ value: T; peak: ServerRss }> {
  let peak = server.rss();
  const timer = setInterval(() => {
    const x = server.rss();
    if (x.total > peak.total) peak = x;
  }, 500);
  try {
    return { value: await work(), peak };
  } finally {
    clearInterval(timer);
  }
}

async function ingest(server: Server, admin: Api, form: 'small' | 'big', label: string, expectedBefore: number, withMe: boolean) {
  let me: LoadResult | undefined;
  if (withMe) {
    me = await load(SIDE_S, CLIENTS, meOp(admin));
    log(`    GET /api/me ×${CLIENTS} clients: ${me.perSecond.toFixed(0)}/s (${describeLoad(me)})`);
  }
  const watch = cpuWatch();
  const { value: r, peak } = await withRss(server, () => load(INGEST_S, CLIENTS, ingestOp(admin, form)));
  const cpu = watch();
  log(`    ingest ${label}: ${r.perSecond.toFixed(0)}/s (${describeLoad(r)}); peak RSS ${describeRss(peak)}; ${others(cpu)}`);
  const rec = await reconcile(admin);
  const expected = expectedBefore + r.ok;
  return { r, me, rec, expected, peak, cpu, countsOk: rec.drift.length === 0 && rec.submissions === expected };
}

function describeRss(x: ServerRss): string {
  return x.java || x.s3 ? `${mib(x.total)} (node ${mib(x.server)} + DynamoDB Local JVM ${mib(x.java)} + S3 emulator ${mib(x.s3)})` : mib(x.total);
}

/** Idle RSS: the smallest of a few samples over `ms` (nothing running against the server). */
async function idleRss(server: Server, ms: number): Promise<ServerRss> {
  let low = server.rss();
  for (let t = 0; t < ms; t += 250) {
    await sleep(250);
    const x = server.rss();
    if (x.total < low.total) low = x;
  }
  return low;
}

interface StoreFigures {
  small?: Awaited<ReturnType<typeof ingest>>;
  big?: Awaited<ReturnType<typeof ingest>>;
  rawSmall?: LoadResult & { label: string; cpu: Cpu };
  rawBig?: LoadResult & { label: string; cpu: Cpu };
  idle?: ServerRss;
}

// ── item 3 ──────────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * GET /api/progress on each server in turn (rotating order), many rounds; plus the cells query alone (the server's own
 * SqliteProgressStore, on a second connection to its file) and the rows it reads, from the query plan.
 */
async function progressInterleaved(servers: Server[], admins: Api[], rounds: number) {
  const dbs: Db[] = servers.map((s) => openDatabase({ file: s.dbFile! }));
  const stores = dbs.map((db) => new SqliteProgressStore(db));
  const out = await Promise.all(
    stores.map(async (store, i) => {
      const db = dbs[i]!;
      const cells = (await store.cellsForCounty(DEMO_COUNTY)).length;
      const source = (store as unknown as { stmts: { cells: { source: string } } }).stmts.cells.source;
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(DEMO_COUNTY) as { detail: string }[]).map((p) => p.detail).join('; ');
      // A SEARCH on the primary key's county prefix visits the county's rows only; anything else (a SCAN) reads them all.
      const bounded = /SEARCH progress_cells USING PRIMARY KEY \(county=\?\)/.test(plan);
      const inCounty = (db.prepare('SELECT count(*) AS n FROM progress_cells WHERE county = ?').get(DEMO_COUNTY) as { n: number }).n;
      const all = (db.prepare('SELECT count(*) AS n FROM progress_cells').get() as { n: number }).n;
      return { cells, plan, itemsRead: bounded ? inCounty : all, http: [] as number[], direct: [] as number[] };
    }),
  );
  const get = async (i: number) => {
    const t = now();
    const r = await admins[i]!.req('GET', `/api/progress?region=${DEMO_COUNTY}`);
    if (r.status !== 200) throw new Error(`progress: ${r.status}`);
    return now() - t;
  };
  for (let w = 0; w < 20; w++) for (let i = 0; i < servers.length; i++) await get(i);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (r + k) % servers.length;
      out[i]!.http.push(await get(i));
      const t = now();
      await stores[i]!.cellsForCounty(DEMO_COUNTY);
      out[i]!.direct.push(now() - t);
    }
  }
  const totals = await Promise.all(admins.map(async (a) => (await a.req('GET', `/api/progress?region=${DEMO_COUNTY}`)).body.total));
  dbs.forEach((db) => db.close());
  return out.map((o, i) => ({ cells: o.cells, plan: o.plan, itemsRead: o.itemsRead, httpMs: median(o.http), queryMs: median(o.direct), total: totals[i] }));
}

// ── item S: time to ready ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Seconds from spawning `npm start`'s equivalent (bench/start-process.ts: startLocalStack as infra/local/start.ts calls
 * it, demo records included, without the web-build check) to the first 200 from /api/health; then a clean stop.
 */
async function timeToReady(store: 'embedded' | 'dynamodb', dataDir: string): Promise<{ seconds: number; records: number; seeded: boolean }> {
  const port = await freePort();
  const t = now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'start-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, STORE: store, DATA_DIR: dataDir, PORT: String(port) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const ready = await new Promise<{ url: string; seeded: boolean; records: number }>((res, rej) => {
      createInterface({ input: child.stdout! }).on('line', (l) => l.startsWith('READY ') && res(JSON.parse(l.slice(6))));
      child.once('exit', (code) => rej(new Error(`npm start (${store}) exited (${code}) before it was ready`)));
    });
    for (;;) {
      const r = await fetch(`${ready.url}/api/health`).catch(() => undefined);
      if (r?.status === 200) break;
      await sleep(20);
    }
    return { seconds: (now() - t) / 1000, records: ready.records, seeded: ready.seeded };
  } finally {
    child.stdin!.end();
    // An unref'd timer: a pending 30 s sleep would keep the bench process alive after its last phase.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  const started = now();
  const os = await import('node:os');
  log(`Risk Census benchmarks${QUICK ? ' (--quick: shortened phases, not the issue’s figures)' : ''} — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}`);

  // 2 — no server needed; first, while nothing else of ours runs.
  if (want('2')) {
    log('\n[2] validation of a 250-field submission vs ajv');
    const v = benchValidation(250, QUICK ? 9 : 25);
    results.target('2', 'validate_250_fields_ms', v.oursUs / 1000, 1, 'ms', `ours ${v.oursUs.toFixed(1)} µs vs ajv ${v.ajvUs.toFixed(1)} µs per submission, median of ${v.rounds} interleaved batches`);
    results.target('2', 'validate_250_fields_vs_ajv', v.ratio, 2, 'ratio', 'median per-batch ratio ours/ajv (ajv allErrors, same form from one spec)');
  }

  // S — npm start, fresh and restarted, both adapter sets.
  if (want('S')) {
    log('\n[S] npm start: time to ready (spawn → first 200 from /api/health), fresh DATA_DIR then a restart on it');
    const ready: Record<string, { fresh: number; restart: number; records: number }> = {};
    const cpus: Record<string, Cpu> = {};
    for (const store of ['embedded', 'dynamodb'] as const) {
      const dir = mkdtempSync(join(tmpdir(), `risk-census-bench-start-${store}-`));
      try {
        const watch = cpuWatch();
        const fresh = await timeToReady(store, dir);
        const again = await timeToReady(store, dir);
        cpus[store] = watch();
        if (!fresh.seeded || again.seeded) throw new Error(`npm start (${store}): the fresh start should seed and the restart should not`);
        ready[store] = { fresh: fresh.seconds, restart: again.seconds, records: fresh.records };
        log(`    ${store}: fresh ${fresh.seconds.toFixed(1)} s (${fresh.records} demo records seeded), restart ${again.seconds.toFixed(1)} s`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const e = ready.embedded!;
    const d = ready.dynamodb!;
    results.info('S', 'start_fresh_embedded_s', e.fresh.toFixed(1) + ' s', '', `fresh DATA_DIR: open + migrate census.db, seed the demo district and ${e.records} demo records, listen; ${others(cpus.embedded!)}`);
    results.info('S', 'start_restart_embedded_s', e.restart.toFixed(1) + ' s', '', 'same DATA_DIR, nothing to seed');
    results.info('S', 'start_fresh_dynamodb_s', d.fresh.toFixed(1) + ' s', '', `STORE=dynamodb: JVM (DynamoDB Local on disk, full JIT) + S3 emulator + tables + seed + ${d.records} demo records; ${others(cpus.dynamodb!)}`);
    results.info('S', 'start_restart_dynamodb_s', d.restart.toFixed(1) + ' s', '', 'same DATA_DIR');
    results.info('S', 'start_fresh_embedded_vs_dynamodb', e.fresh / d.fresh, 'ratio', `restart ${(e.restart / d.restart).toFixed(2)}×; one start each, without npm's own start-up and the web-build check`);
  }

  // 1 and 4 — the embedded store (the targets), then DynamoDB Local on disk beside it (information).
  const figures: Record<'embedded' | 'dynamodb', StoreFigures> = { embedded: {}, dynamodb: {} };
  if (want('1', '4')) {
    for (const store of ['embedded', 'dynamodb'] as const) {
      const name = store === 'embedded' ? 'E' : 'D';
      log(`\n[1, 4] server ${name}: ${store === 'embedded' ? 'embedded store (SQLite WAL, synchronous=FULL) on a DATA_DIR on disk' : 'DynamoDB Local on disk (STORE=dynamodb)'}`);
      const server = await startServer({ log, label: name, store, persistent: true });
      const f = figures[store];
      try {
        const admin = await Api.login(server.url, 'admin', DEMO_PASSWORD);
        await publishBig(server, admin);
        f.idle = await idleRss(server, 2_000);
        log(`    idle RSS ${describeRss(f.idle)}`);

        if (want('1')) {
          log(`\n[1] ${store}: submit path vs raw write of the same items on the same store (sequential, interleaved)`);
          const s = await submitVsRaw(server, admin, 'small', QUICK ? 6 : 30, 20);
          log(`    ${SMALL}: API ${s.apiMs.toFixed(2)} ms vs raw ${s.label} ${s.rawMs.toFixed(2)} ms → ${s.ratio.toFixed(2)}×; ${others(s.cpu)}`);
          if (store === 'embedded') {
            results.target('1', 'submit_vs_raw_transaction', s.ratio, 1.3, 'ratio', `embedded, ${SMALL}: API ${s.apiMs.toFixed(2)} ms vs raw ${s.label} ${s.rawMs.toFixed(2)} ms median, same database file; median of per-round ratios; ${others(s.cpu)}`);
            const sb = await submitVsRaw(server, admin, 'big', QUICK ? 4 : 15, 10);
            log(`    250 fields: API ${sb.apiMs.toFixed(2)} ms vs raw ${sb.rawMs.toFixed(2)} ms → ${sb.ratio.toFixed(2)}×`);
            results.info('1', 'submit_vs_raw_transaction_250_fields', sb.ratio, 'ratio', `embedded: API ${sb.apiMs.toFixed(2)} ms vs raw ${sb.rawMs.toFixed(2)} ms median`);
          } else {
            results.info('1', 'submit_vs_raw_transaction_dynamodb_disk', s.ratio, 'ratio', `DynamoDB Local on disk, ${SMALL}: API ${s.apiMs.toFixed(2)} ms vs raw TransactWriteItems ${s.rawMs.toFixed(2)} ms median`);
          }
        }

        if (want('4')) {
          log(`\n[4] ${store}: sustained ingest, ${INGEST_S} s, ${CLIENTS} clients, one PUT …?submit=true per submission (admin, the district's ${VILLAGES.length} villages)`);
          let expected = (await reconcile(admin)).submissions;
          f.small = await ingest(server, admin, 'small', `${SMALL} (10 questions)`, expected, store === 'embedded');
          f.rawSmall = await rawCeiling(server, admin, 'small', SIDE_S);
          log(`    raw store, same items, ${CLIENTS} concurrent ${f.rawSmall.label}: ${f.rawSmall.perSecond.toFixed(0)}/s (${describeLoad(f.rawSmall)}); ${others(f.rawSmall.cpu)}`);
          expected = (await reconcile(admin)).submissions;
          f.big = await ingest(server, admin, 'big', '250-field form', expected, store === 'embedded');
          f.rawBig = await rawCeiling(server, admin, 'big', SIDE_S);
          log(`    raw store, same items, ${CLIENTS} concurrent ${f.rawBig.label}: ${f.rawBig.perSecond.toFixed(0)}/s (${describeLoad(f.rawBig)}); ${others(f.rawBig.cpu)}`);
        }
      } finally {
        await server.stop();
      }
    }
    const e = figures.embedded;
    const d = figures.dynamodb;
    if (want('4') && e.small && e.big && d.small && d.big) {
      for (const [form, key, target] of [['small', 'small_form', 420], ['big', '250_field_form', 300]] as const) {
        const api = e[form]!;
        const raw = form === 'small' ? e.rawSmall! : e.rawBig!;
        const dApi = d[form]!;
        const dRaw = form === 'small' ? d.rawSmall! : d.rawBig!;
        results.target('4', `ingest_${key}_per_s`, api.r.perSecond, target, 'per_s', `embedded: ${describeLoad(api.r)}; ${others(api.cpu)}`, false);
        results.check('4', `ingest_${key}_all_ok_and_counted`, api.r.failed === 0 && api.countsOk, `${api.r.failed} failed, drift ${api.rec.drift.length}, ${api.rec.submissions}/${api.expected} counted`, '100% success, counters = recount');
        results.info('4', `raw_embedded_${key}_per_s`, raw.perSecond, 'per_s', `${CLIENTS} concurrent SqliteSubmissionStore.write (record + counter + audit) of the same items on the server's database file; ${others(raw.cpu)}`);
        results.info('4', `ingest_${key}_vs_raw_embedded`, api.r.perSecond / raw.perSecond, 'ratio', `API ${api.r.perSecond.toFixed(0)}/s vs raw ${raw.perSecond.toFixed(0)}/s`);
        results.info('4', `raw_dynamodb_disk_${key}_per_s`, dRaw.perSecond, 'per_s', `${CLIENTS} concurrent TransactWriteItems of the same items, DynamoDB Local on disk; ${others(dRaw.cpu)}`);
        results.info('4', `ingest_${key}_dynamodb_disk_per_s`, dApi.r.perSecond, 'per_s', `STORE=dynamodb, before: ${describeLoad(dApi.r)}; counters ${dApi.countsOk ? '= recount' : 'DRIFT'}; ${others(dApi.cpu)}`);
        results.info('4', `ingest_${key}_embedded_vs_dynamodb_disk`, api.r.perSecond / dApi.r.perSecond, 'ratio', `API ingest, after/before; DynamoDB API vs its raw store ${(dApi.r.perSecond / dRaw.perSecond).toFixed(2)}×`);
        if (api.me) results.info('4', `ingest_${key}_vs_get_me`, api.r.perSecond / api.me.perSecond, 'ratio', `embedded: GET /api/me ${api.me.perSecond.toFixed(0)}/s on the same server just before`);
      }
      results.info('4', 'odk_central_anchor', 'ODK Central 249–347/s', '', 'on this machine kind (measured earlier, not in this run)');
      results.info('4', 'rss_idle_embedded', mib(e.idle!.total), '', 'the node server (VmRSS), after login, before any load');
      results.info('4', 'rss_idle_dynamodb', mib(d.idle!.total), '', `${describeRss(d.idle!)}, after login, before any load`);
      results.info('4', 'rss_load_embedded', mib(e.small!.peak.total), '', `peak during the ${CLIENTS}-client ${SMALL} ingest, sampled every 500 ms (250-field: ${mib(e.big!.peak.total)})`);
      results.info('4', 'rss_load_dynamodb', mib(d.small!.peak.total), '', `peak during the same ingest: ${describeRss(d.small!.peak)} (250-field: ${mib(d.big!.peak.total)})`);
      results.info('4', 'rss_embedded_vs_dynamodb', e.small!.peak.total / d.small!.peak.total, 'ratio', `under load; idle ${(e.idle!.total / d.idle!.total).toFixed(2)}×`);
    }
  }

  // 3 (and 7's time to interactive) — one embedded server per size, measured interleaved.
  if (want('3', '7')) {
    log(`\n[3] servers B (embedded): ${SIZES.map((n) => n / 1000 + 'k').join(', ')} submissions of ${SMALL}, one server each, measured interleaved`);
    const webRoot = existsSync(join(WEB_BUILD, 'index.html')) ? WEB_BUILD : undefined;
    const servers = await Promise.all(SIZES.map((n, i) => startServer({ log, label: `B${n / 1000}k`, ...(i === 0 && webRoot ? { webRoot } : {}) })));
    try {
      const admins: Api[] = [];
      for (const [i, server] of servers.entries()) {
        const size = SIZES[i]!;
        const admin = await Api.login(server.url, 'admin', DEMO_PASSWORD);
        admins.push(admin);
        const { template: tpl, me } = await template(admin, 'small');
        const t = now();
        // The one submission made through the API (the template) is counted too; the counters come from each write.
        await seedEmbedded({ dbFile: server.dbFile!, template: tpl, by: me, from: 1, to: size, regions: VILLAGES, data: (k) => ({ ...SMALL_SAMPLES[0], householder: `户主${k}` }) });
        const secs = (now() - t) / 1000;
        log(`    B${size / 1000}k: seeded ${size - 1} submissions in ${secs.toFixed(1)} s (${((size - 1) / secs).toFixed(0)}/s, SqliteSubmissionStore.write, 1,000 per commit)`);
      }
      await sleep(QUICK ? 500 : 2_000);
      const watch = cpuWatch();
      const at = await progressInterleaved(servers, admins, QUICK ? 15 : 60);
      const cpu = watch();
      for (const [i, p] of at.entries()) {
        const total = p.total.draft + p.total.submitted + p.total.returned + p.total.approved;
        log(`    B${SIZES[i]! / 1000}k (progress shows ${total}): GET /api/progress ${p.httpMs.toFixed(2)} ms, cells query ${p.queryMs.toFixed(2)} ms; rows read ${p.itemsRead} = cells ${p.cells} (${p.plan})`);
      }
      const lo = at[0]!;
      const hi = at.at(-1)!;
      results.target('3', `progress_${SIZES.at(-1)! / 1000}k_vs_${SIZES[0]! / 1000}k`, hi.httpMs / lo.httpMs, 1.2, 'ratio',
        `embedded, GET /api/progress median ${hi.httpMs.toFixed(2)} vs ${lo.httpMs.toFixed(2)} ms (${SIZES.map((n, i) => `${n / 1000}k ${at[i]!.httpMs.toFixed(2)}`).join(', ')}); the cells query alone ${(hi.queryMs / lo.queryMs).toFixed(2)}×; ${others(cpu)}`);
      results.target('3', 'progress_items_read_per_cell', Math.max(...at.map((p) => p.itemsRead / p.cells)), 1, 'ratio',
        `embedded: rows the cells query visits per cell, from its plan (${hi.plan}); ${SIZES.map((n, i) => `${n / 1000}k: ${at[i]!.itemsRead}`).join(', ')} rows for ${hi.cells} cells`);
      results.gap('3', 'progress_dynamodb', 'not measured in this run: three more DynamoDB Local JVMs and 111k seeded items cost ~2 min; the embedded store is the one judged');

      // 7 — the web app, served by the first of these servers.
      log('\n[7] web');
      const entry = entryJs();
      if (!entry) {
        results.gap('7', 'web_entry_js_gzip', 'not built yet: web/build/index.html is missing (npm run build:web)');
      } else {
        const built = new Date(statSync(join(WEB_BUILD, 'index.html')).mtimeMs).toISOString();
        results.target('7', 'web_entry_js_gzip_kb', entry.gzipKb, 100, 'kB', `${entry.files} files index.html loads before start (${entry.rawKb.toFixed(0)} kB raw), web/build of ${built}`);
      }
      if (!hasFillRoute()) {
        results.gap('7', 'web_time_to_interactive', 'not measured: the web form route (web/src/routes/fill) does not exist yet');
      } else if (!webRoot) {
        results.gap('7', 'web_time_to_interactive', 'not measured: web/build is missing');
      } else {
        const def: FormDefinition = largestForm();
        const township = VILLAGES[0]!.slice(0, 9) + '000';
        const region = DEMO_REGIONS.find((r) => r.level === def.regionLevel && (r.code === township || r.parent === township || r.code === DEMO_COUNTY))!.code;
        try {
          const tti = await timeToInteractive({ base: servers[0]!.url, username: `staff-${def.sector}`, password: DEMO_PASSWORD, village: region, rounds: QUICK ? 3 : 9 });
          results.info('7', 'web_tti_largest_form_vs_static_page', tti.ratio, 'ratio', `${tti.form} (${tti.fields} fields): ${tti.formMs.toFixed(0)} ms vs static HTML of the same inputs ${tti.staticMs.toFixed(0)} ms, median of ${tti.rounds}, headless Chromium`);
        } catch (e) {
          results.gap('7', 'web_time_to_interactive', `not measured: ${(e as Error).message.split('\n')[0]!.slice(0, 200)}`);
        }
      }
    } finally {
      await Promise.all(servers.map((x) => x.stop()));
    }
  }

  // 5 — exports: 10k vs 100k rows of the same form on one embedded server, per format, alternating.
  if (want('5')) {
    const [lo, hi] = EXPORT_ROWS;
    log(`\n[5] server X (embedded): exports of ${lo! / 1000}k vs ${hi! / 1000}k submissions (${EXPORT_FORM} and a copy), alternating on one server`);
    const x = await startServer({ log, label: 'X' });
    try {
      const admin = await Api.login(x.url, 'admin', DEMO_PASSWORD);
      if (!ROUTES.some((r) => r.path === '/api/exports')) {
        results.gap('5', 'export_peak_memory', 'not built yet: no /api/exports route');
      } else {
        const seeded = await seedExportForms(x, admin, lo!, hi!);
        log(`    seeded ${lo! + hi!} submissions in ${seeded.seconds.toFixed(1)} s (SqliteSubmissionStore.write, 1,000 per commit)`);
        const rec = await reconcile(admin);
        if (rec.drift.length || rec.submissions !== lo! + hi!) throw new Error(`export seed: ${rec.submissions} submissions, drift ${rec.drift.length}`);
        await sleep(QUICK ? 500 : 2_000);
        // XLSX is the slow one (exceljs: ~4k rows/s here): one timed export and one probed round keep the run reasonable.
        const plan = { csv: { timed: QUICK ? 1 : 2, rounds: QUICK ? 2 : 4 }, geojson: { timed: 1, rounds: QUICK ? 1 : 2 }, xlsx: { timed: 1, rounds: 1 } } as const;
        for (const format of ['csv', 'geojson', 'xlsx'] as const) {
          try {
            const watch = cpuWatch();
            const c = await compareExports(x, admin, format, { ...plan[format], log });
            const cpu = watch();
            const spread = `${Math.min(...c.ratios).toFixed(2)}–${Math.max(...c.ratios).toFixed(2)}`;
            const memNote = `peak live-heap growth (heapUsed+external after forced GCs every 200 ms) ${mb(median(c.large.heap))} vs ${mb(median(c.small.heap))}, median of ${c.ratios.length} round${c.ratios.length > 1 ? 's' : ''}${c.ratios.length > 1 ? `; per-round ratios ${spread}` : ''}; peak RSS growth ${mb(median(c.large.rss))} vs ${mb(median(c.small.rss))}`;
            const rateNote = `${c.large.rows} rows (${mb(c.large.bytes)}), POST to done, median of ${c.large.rowsPerS.length}; ${c.small.rows} rows: ${median(c.small.rowsPerS).toFixed(0)}/s; ${others(cpu)}`;
            const memName = `export_${format}_peak_memory_${Math.round(c.large.rows / 1000)}k_vs_${Math.round(c.small.rows / 1000)}k_rows`;
            if (format === 'csv') {
              results.target('5', `export_csv_rows_per_s`, median(c.large.rowsPerS), 20_000, 'per_s', `embedded, ${rateNote}`, false);
              results.target('5', memName, c.ratio, 1.2, 'ratio', `embedded, ${memNote}`);
            } else {
              results.info('5', `export_${format}_rows_per_s`, median(c.large.rowsPerS), 'per_s', `embedded, ${rateNote}${format === 'xlsx' ? '; one timed export only (slow)' : ''}`);
              results.info('5', memName, c.ratio, 'ratio', `embedded, ${memNote}`);
            }
          } catch (err) {
            results.gap('5', `export_${format}`, `not measured: the export failed (${(err as Error).message.slice(0, 160)})`);
          }
        }
      }
    } finally {
      await x.stop();
    }
  }

  // 6 — bundles.
  if (want('6')) {
    log('\n[6] Lambda bundles');
    const bundles = await benchBundles(QUICK ? 3 : 9);
    for (const b of bundles) {
      results.info('6', `lambda_${b.module}_zip`, b.zipKb, 'kB', `${b.jsKb.toFixed(0)} kB minified JS + map; init ${b.initMs.toFixed(0)} ms = ${b.initRatio.toFixed(1)}× an empty module`);
    }
    results.info('6', 'lambda_init_vs_empty_module', median(bundles.map((b) => b.initRatio)), 'ratio', `median over ${bundles.length} functions; fresh node process each, interleaved`);
  }

  log(`\nDone in ${((now() - started) / 60000).toFixed(1)} min (load average now ${os.loadavg()[0]!.toFixed(2)}).\n`);
  log(results.table());
  results.write(join(ROOT, 'bench-results.json'), !!ONLY);
  log(`\nWrote bench-results.json (${Object.keys(results.json).length} figures with targets${ONLY ? ', merged into the figures already there' : ''}).`);
}

await main();
