/**
 * `npm run bench` — issue 8's figures, side by side, on this machine, in one run. Prints a table and writes
 * bench-results.json ({ name: { value, target, unit, pass } } for every figure the issue gives a target).
 *
 * Every comparison is measured in the same run and interleaved (A, B, A, B… or alternating batches) and reported as a
 * median ratio; wall-clock figures are only printed next to the ratio they explain. The server under test runs in its
 * own process (bench/server.ts) with DynamoDB Local in memory on the full JIT (the on-disk figure is a second stack).
 *
 *   1. submit path end to end (HTTP → auth → validate → transaction) vs a raw TransactWriteItems of the same items
 *   2. validation of a 250-field submission vs ajv's compiled JSON Schema of the same form
 *   3. progress query at 1k / 10k / 100k submissions: time ratio and items read
 *   4. sustained ingest, 30 s, 16 clients, PUT ?submit=true, small and 250-field forms, + GET /api/me and raw-store ratios
 *   5. export peak memory 10k vs 100k rows and rows/s
 *   6. Lambda bundle size (zipped) and module init time vs an empty module
 *   7. web entry JS (gzipped) and time to interactive of the largest form vs a static page
 *
 * `--quick` shortens every phase (for trying the bench out; the figures are then not the issue's); `--only=3,5` runs only
 * the phases of those items.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL = 'silent';

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BatchWriteCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../functions/adapters/dynamo/client';
import { DynamoDirectoryStore } from '../functions/adapters/dynamo/directory';
import { DynamoProgressStore } from '../functions/adapters/dynamo/progress';
import { DynamoSubmissionStore } from '../functions/adapters/dynamo/submissions';
import { SUBMISSIONS, tableName } from '../functions/adapters/dynamo/tables';
import type { HistoryEntry, Submission } from '../functions/app/ports';
import { CATALOG, catalogForm } from '../functions/domain/catalog/index';
import type { Cell } from '../functions/domain/progress';
import { generateSample } from '../functions/domain/samples';
import { ROUTES } from '../functions/http/routes';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_REGIONS } from '../infra/local/demo-district';
import { benchBundles } from './lambda';
import { Api, load, median, now, Results, sleep, type LoadResult } from './lib';
import { syntheticAnswers, syntheticSpec, toFormDefinition } from './synthetic-form';
import { benchValidation } from './validation';
import { entryJs, hasFillRoute, largestForm, timeToInteractive, WEB_BUILD } from './web';

const ROOT = resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
/** `--only=3,5`: run only these items' phases (for trying one out; the JSON then holds only those figures). */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (...items: string[]) => !ONLY || items.some((i) => ONLY.includes(i));
const INGEST_S = QUICK ? 6 : 30;
const SIDE_S = QUICK ? 3 : 10;
const CLIENTS = 16;
const SIZES = QUICK ? [1_000, 3_000, 10_000] : [1_000, 10_000, 100_000];

const SMALL = 'housing.rural-house';
const VILLAGES = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code);
const BIG_SPEC = syntheticSpec(250);
const BIG = toFormDefinition(BIG_SPEC, 'housing.bench-250-fields', 'housing');
const BIG_SAMPLES = Array.from({ length: 64 }, (_, i) => syntheticAnswers(BIG_SPEC, 1000 + i));

const results = new Results();
const log = (s: string) => console.log(s);

// ── the server under test, in its own process ───────────────────────────────────────────────────────────────────────

interface Probe {
  heapBase: number;
  heapPeak: number;
  rssBase: number;
  rssPeak: number;
  gc: boolean;
}

interface Server {
  url: string;
  env: Record<string, string>;
  pid: number;
  probeStart(): void;
  probeMark(): void;
  probeStop(): Promise<Probe>;
  stop(): Promise<void>;
}

async function startServer(opts: { persistent?: boolean; webRoot?: string; label?: string } = {}): Promise<Server> {
  const t = now();
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'server.ts')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_PERSISTENT: opts.persistent ? '1' : '', BENCH_WEB_ROOT: opts.webRoot ?? '' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const rl = createInterface({ input: child.stdout! });
  const waiting: ((p: Probe) => void)[] = [];
  const ready = await new Promise<{ url: string; env: Record<string, string> }>((res, rej) => {
    rl.on('line', (line) => {
      if (line.startsWith('READY ')) res(JSON.parse(line.slice(6)));
      else if (line.startsWith('PROBE ')) waiting.shift()?.(JSON.parse(line.slice(6)));
    });
    child.once('exit', (code) => rej(new Error(`bench server exited (${code}) before it was ready`)));
  });
  log(`  server ${opts.label ?? ''}${opts.persistent ? ' (DynamoDB on disk)' : ' (DynamoDB in memory)'} ready in ${((now() - t) / 1000).toFixed(1)} s at ${ready.url}`);
  return {
    url: ready.url,
    env: ready.env,
    pid: child.pid!,
    probeStart: () => child.stdin!.write('probe-start\n'),
    probeMark: () => child.stdin!.write('probe-mark\n'),
    probeStop: () =>
      new Promise<Probe>((res) => {
        waiting.push(res);
        child.stdin!.write('probe-stop\n');
      }),
    stop: async () => {
      child.stdin?.end();
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

// ── submissions written by the store's own code, sent raw ───────────────────────────────────────────────────────────

/** The TransactWriteItems input DynamoSubmissionStore.write would send for a create+submit of `next` (captured, not sent). */
async function transactionFor(env: Record<string, string>, next: Submission, audit: HistoryEntry[], counters: Submission['status'][] = ['submitted']): Promise<TransactWriteCommandInput> {
  let captured: TransactWriteCommandInput | undefined;
  const fake = { send: async (cmd: TransactWriteCommand) => void (captured = cmd.input) } as unknown as DynamoDBDocumentClient;
  await new DynamoSubmissionStore(fake, env).write({ next, expect: { create: true }, counters: Object.fromEntries(counters.map((c) => [c, 1])), audit });
  return captured!;
}

/** A create+submit like the API's, from a template submission (an API response), under a new id and region. */
function nextFrom(template: Submission, region: string, by: string, status: Submission['status'] = 'submitted'): { next: Submission; audit: HistoryEntry[] } {
  const at = new Date().toISOString();
  const next: Submission = {
    ...template,
    id: randomUUID(),
    regionCode: region,
    status,
    version: 1,
    createdBy: by,
    createdAt: at,
    updatedAt: at,
    ...(status === 'submitted' ? { submittedAt: at } : {}),
    lastWrite: { key: randomBytes(32).toString('hex'), by, status: 201 },
  };
  if (status !== 'submitted') delete next.submittedAt;
  const audit: HistoryEntry[] = [{ at, by, action: 'created', from: null, to: 'draft' }];
  if (status === 'submitted') audit.push({ at, by, action: 'submitted', from: 'draft', to: 'submitted' });
  return { next, audit };
}

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

// ── item 1 ──────────────────────────────────────────────────────────────────────────────────────────────────────────

async function submitVsRaw(server: Server, admin: Api, form: 'small' | 'big', rounds: number, perRound: number) {
  const db = documentClient(server.env);
  const me = (await admin.req('GET', '/api/me')).body.userId as string;
  const first = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body(form, 0));
  if (first.status !== 201) throw new Error(`submit ${form}: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
  const template = first.body as Submission;
  let i = 1;
  const api = async () => {
    const t = now();
    const r = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body(form, i++));
    const ms = now() - t;
    if (r.status !== 201) throw new Error(`submit: ${r.status}`);
    return ms;
  };
  const raw = async () => {
    const { next, audit } = nextFrom(template, VILLAGES[i++ % VILLAGES.length]!, me);
    const input = await transactionFor(server.env, next, audit);
    const t = now();
    await sendRaw(db, input);
    return now() - t;
  };
  for (let w = 0; w < 30; w++) {
    await api();
    await raw();
  }
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
        rb.push(await raw());
      } else {
        rb.push(await raw());
        ra.push(await api());
      }
    }
    a.push(...ra);
    b.push(...rb);
    ratios.push(median(ra) / median(rb));
  }
  db.destroy();
  return { apiMs: median(a), rawMs: median(b), ratio: median(ratios), ops: a.length + b.length + 60 + 1 };
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

async function rawCeiling(server: Server, admin: Api, form: 'small' | 'big', seconds: number): Promise<LoadResult> {
  const db = documentClient(server.env);
  const me = (await admin.req('GET', '/api/me')).body.userId as string;
  const first = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body(form, 0));
  const template = first.body as Submission;
  const r = await load(seconds, CLIENTS, async (i) => {
    const { next, audit } = nextFrom(template, VILLAGES[i % VILLAGES.length]!, me);
    await sendRaw(db, await transactionFor(server.env, next, audit));
    return { ok: true, status: 'ok' };
  });
  db.destroy();
  return r;
}

function describeLoad(r: LoadResult): string {
  const other = Object.entries(r.statuses)
    .filter(([k]) => k !== '201' && k !== '200' && k !== 'ok')
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return `${r.ok} ok / ${r.failed} failed in ${r.seconds.toFixed(1)} s, p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms${other ? `, ${other}` : ''}`;
}

async function ingest(server: Server, admin: Api, form: 'small' | 'big', label: string, expectedBefore: number) {
  const me = await load(SIDE_S, CLIENTS, meOp(admin));
  log(`    GET /api/me ×${CLIENTS} clients: ${me.perSecond.toFixed(0)}/s (${describeLoad(me)})`);
  const r = await load(INGEST_S, CLIENTS, ingestOp(admin, form));
  log(`    ingest ${label}: ${r.perSecond.toFixed(0)}/s (${describeLoad(r)})`);
  const rec = await reconcile(admin);
  const expected = expectedBefore + r.ok;
  return { r, me, rec, expected, countsOk: rec.drift.length === 0 && rec.submissions === expected };
}

// ── item 3 and 5 ────────────────────────────────────────────────────────────────────────────────────────────────────

/** Seeds submissions of the small form straight into the table (BatchWrite of the store's own item shape) and sets the cells' counters to match. */
async function seedSubmissions(server: Server, db: DynamoDBDocumentClient, template: Submission, by: string, from: number, to: number, counts: Map<string, Cell>) {
  const table = tableName(SUBMISSIONS, server.env);
  const statuses: Submission['status'][] = ['approved', 'submitted', 'approved', 'draft', 'returned', 'approved'];
  const make = async (i: number) => {
    const status = statuses[i % statuses.length]!;
    const region = VILLAGES[i % VILLAGES.length]!;
    const { next, audit } = nextFrom({ ...template, data: { ...template.data, householder: `户主${i}` } }, region, by, status === 'draft' || status === 'submitted' ? status : 'submitted');
    next.status = status;
    const input = await transactionFor(server.env, next, audit.slice(0, 1), [status]);
    const key = `${SMALL}#${region}`;
    const c = counts.get(key) ?? { formId: SMALL, regionCode: region, target: 0, draft: 0, submitted: 0, returned: 0, approved: 0 };
    if (status !== 'voided') c[status] += 1;
    counts.set(key, c);
    return (input.TransactItems![0]!.Put!.Item as Record<string, unknown>);
  };
  let next = from;
  const worker = async () => {
    while (next < to) {
      const start = next;
      next = Math.min(to, next + 25);
      const items = await Promise.all(Array.from({ length: next - start }, (_, k) => make(start + k)));
      let req: Record<string, unknown[]> | undefined = { [table]: items.map((Item) => ({ PutRequest: { Item } })) };
      while (req && Object.keys(req).length) {
        const r = await db.send(new BatchWriteCommand({ RequestItems: req as never }));
        req = r.UnprocessedItems as Record<string, unknown[]> | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  await new DynamoProgressStore(db, server.env).setCounts(DEMO_COUNTY, [...counts.values()]);
}

/** A document client that counts the items its Query calls read (ScannedCount). */
function countingClient(env: Record<string, string>) {
  const db = documentClient(env);
  const stats = { read: 0, queries: 0 };
  db.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const o = out.output as { ScannedCount?: number };
      if (typeof o?.ScannedCount === 'number') {
        stats.read += o.ScannedCount;
        stats.queries++;
      }
      return out;
    },
    { step: 'initialize', name: 'benchCountItemsRead' },
  );
  return { db, stats };
}

/** GET /api/progress on each server in turn (rotating order), many rounds; plus the cells query alone and items read. */
async function progressInterleaved(servers: Server[], admins: Api[], rounds: number) {
  const clients = servers.map((s) => countingClient(s.env));
  const stores = servers.map((s, i) => new DynamoProgressStore(clients[i]!.db, s.env));
  const out = await Promise.all(
    stores.map(async (store, i) => {
      clients[i]!.stats.read = 0;
      const cells = (await store.cellsForCounty(DEMO_COUNTY)).length;
      return { cells, itemsRead: clients[i]!.stats.read, http: [] as number[], direct: [] as number[] };
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
  clients.forEach((c) => c.db.destroy());
  return out.map((o, i) => ({ cells: o.cells, itemsRead: o.itemsRead, httpMs: median(o.http), queryMs: median(o.direct), total: totals[i] }));
}

/** One CSV export of the small form over the whole district: rows, seconds from POST to done, and (probe) memory. */
async function exportOnce(server: Server, admin: Api, probe: boolean) {
  if (probe) {
    // Baseline: the smallest live heap over 2 s of forced GCs before the export starts.
    server.probeStart();
    await sleep(2_000);
    server.probeMark();
  }
  const t = now();
  const start = await admin.req('POST', '/api/exports', { formId: SMALL, format: 'csv' });
  if (start.status !== 202) throw new Error(`export: ${start.status} ${JSON.stringify(start.body).slice(0, 300)}`);
  for (;;) {
    const r = await admin.req('GET', `/api/exports/${start.body.id}`);
    if (r.body?.status === 'done') {
      const seconds = (now() - t) / 1000;
      const mem = probe ? await server.probeStop() : undefined;
      return { rows: r.body.rows as number, seconds, bytes: r.body.bytes as number, mem };
    }
    if (r.body?.status === 'failed' || r.status >= 400) {
      if (probe) await server.probeStop();
      throw new Error(`export failed: ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    await sleep(50);
  }
}

// ── the run ─────────────────────────────────────────────────────────────────────────────────────────────────────────

async function main() {
  const started = now();
  log(`Risk Census benchmarks${QUICK ? ' (--quick: shortened phases, not the issue’s figures)' : ''} — ${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`);

  // 2 — no server needed; first, while nothing else of ours runs.
  if (want('2')) {
    log('\n[2] validation of a 250-field submission vs ajv');
    const v = benchValidation(250, QUICK ? 9 : 25);
    results.target('2', 'validate_250_fields_ms', v.oursUs / 1000, 1, 'ms', `ours ${v.oursUs.toFixed(1)} µs vs ajv ${v.ajvUs.toFixed(1)} µs per submission, median of ${v.rounds} interleaved batches`);
    results.target('2', 'validate_250_fields_vs_ajv', v.ratio, 2, 'ratio', 'median per-batch ratio ours/ajv (ajv allErrors, same form from one spec)');
  }

  // 1 and 4 — in-memory DynamoDB Local.
  let inMemorySmall = NaN;
  if (want('1', '4')) {
    log('\n[1, 4] server A: DynamoDB Local in memory');
    const a = await startServer();
    let expected = 0;
    try {
      const admin = await Api.login(a.url, 'admin', DEMO_PASSWORD);
      await new DynamoDirectoryStore(documentClient(a.env), a.env).publishForm(BIG);
      const t = await admin.req('PUT', '/api/targets', { targets: VILLAGES.map((regionCode) => ({ formId: BIG.id, regionCode, target: 100_000 })) });
      if (t.status !== 200) throw new Error(`targets: ${t.status} ${JSON.stringify(t.body)}`);

      log('\n[1] submit path vs raw TransactWriteItems of the same items (sequential, interleaved)');
      const s = await submitVsRaw(a, admin, 'small', QUICK ? 6 : 20, 20);
      results.target('1', 'submit_vs_raw_transaction', s.ratio, 1.3, 'ratio', `${SMALL}: API ${s.apiMs.toFixed(2)} ms vs raw ${s.rawMs.toFixed(2)} ms median; median of per-round ratios`);
      const sb = await submitVsRaw(a, admin, 'big', QUICK ? 4 : 10, 10);
      results.info('1', 'submit_vs_raw_transaction_250_fields', sb.ratio, 'ratio', `API ${sb.apiMs.toFixed(2)} ms vs raw ${sb.rawMs.toFixed(2)} ms median`);
      expected = (await reconcile(admin)).submissions;

      log(`\n[4] sustained ingest: ${INGEST_S} s, ${CLIENTS} clients, one PUT …?submit=true per submission (admin, the district's ${VILLAGES.length} villages)`);
      const small = await ingest(a, admin, 'small', `${SMALL} (10 questions)`, expected);
      expected = small.expected;
      const rawSmall = await rawCeiling(a, admin, 'small', SIDE_S);
      expected = (await reconcile(admin)).submissions;
      log(`    raw store, same items, ${CLIENTS} concurrent TransactWriteItems: ${rawSmall.perSecond.toFixed(0)}/s (${describeLoad(rawSmall)})`);
      results.target('4', 'ingest_small_form_per_s', small.r.perSecond, 420, 'per_s', describeLoad(small.r), false);
      results.check('4', 'ingest_small_form_all_ok_and_counted', small.r.failed === 0 && small.countsOk, `${small.r.failed} failed, drift ${small.rec.drift.length}, ${small.rec.submissions}/${small.expected} counted`, '100% success, counters = recount');
      results.info('4', 'ingest_small_vs_get_me', small.r.perSecond / small.me.perSecond, 'ratio', `GET /api/me ${small.me.perSecond.toFixed(0)}/s on the same server just before`);
      results.info('4', 'ingest_small_vs_raw_store', small.r.perSecond / rawSmall.perSecond, 'ratio', `raw TransactWriteItems of the same items: ${rawSmall.perSecond.toFixed(0)}/s`);

      const big = await ingest(a, admin, 'big', '250-field form', expected);
      expected = big.expected;
      const rawBig = await rawCeiling(a, admin, 'big', SIDE_S);
      log(`    raw store, same items, ${CLIENTS} concurrent TransactWriteItems: ${rawBig.perSecond.toFixed(0)}/s (${describeLoad(rawBig)})`);
      results.target('4', 'ingest_250_field_form_per_s', big.r.perSecond, 300, 'per_s', describeLoad(big.r), false);
      results.check('4', 'ingest_250_field_form_all_ok_and_counted', big.r.failed === 0 && big.countsOk, `${big.r.failed} failed, drift ${big.rec.drift.length}, ${big.rec.submissions}/${big.expected} counted`, '100% success, counters = recount');
      results.info('4', 'ingest_250_vs_get_me', big.r.perSecond / big.me.perSecond, 'ratio', `GET /api/me ${big.me.perSecond.toFixed(0)}/s just before`);
      results.info('4', 'ingest_250_vs_raw_store', big.r.perSecond / rawBig.perSecond, 'ratio', `raw TransactWriteItems of the same items: ${rawBig.perSecond.toFixed(0)}/s`);
      inMemorySmall = small.r.perSecond;
    } finally {
      await a.stop();
    }
  }

  // 4 on disk.
  if (want('4')) {
    log('\n[4] server C: the same small-form ingest with DynamoDB Local on disk');
    const c = await startServer({ persistent: true });
    try {
      const admin = await Api.login(c.url, 'admin', DEMO_PASSWORD);
      const disk = await ingest(c, admin, 'small', `${SMALL} on disk`, (await reconcile(admin)).submissions);
      results.info('4', 'ingest_small_form_on_disk', disk.r.perSecond, 'per_s', `${describeLoad(disk.r)}; ${(disk.r.perSecond / inMemorySmall).toFixed(2)}× the in-memory figure; counters ${disk.countsOk ? '= recount' : 'DRIFT'}`);
    } finally {
      await c.stop();
    }
  }

  // 3 and 5 (and 7's time to interactive) — one server per size, measured interleaved.
  if (want('3', '5', '7')) {
    log(`\n[3, 5] servers B: ${SIZES.map((n) => n / 1000 + 'k').join(', ')} submissions of ${SMALL}, one server each, measured interleaved`);
    const webRoot = existsSync(join(WEB_BUILD, 'index.html')) ? WEB_BUILD : undefined;
    const servers = await Promise.all(SIZES.map((n, i) => startServer({ label: `B${n / 1000}k`, ...(i === 0 && webRoot ? { webRoot } : {}) })));
    try {
      const admins: Api[] = [];
      for (const [i, server] of servers.entries()) {
        const size = SIZES[i]!;
        const admin = await Api.login(server.url, 'admin', DEMO_PASSWORD);
        admins.push(admin);
        const me = (await admin.req('GET', '/api/me')).body.userId as string;
        const first = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, body('small', 0));
        if (first.status !== 201) throw new Error(`submit: ${first.status}`);
        const db = documentClient(server.env);
        // The one submission made through the API (the template) is counted too.
        const counts = new Map<string, Cell>([[`${SMALL}#${VILLAGES[0]}`, { formId: SMALL, regionCode: VILLAGES[0]!, target: 0, draft: 0, submitted: 1, returned: 0, approved: 0 }]]);
        const t = now();
        await seedSubmissions(server, db, first.body as Submission, me, 1, size, counts);
        const secs = (now() - t) / 1000;
        log(`    B${size / 1000}k: seeded ${size - 1} submissions in ${secs.toFixed(1)} s (${((size - 1) / secs).toFixed(0)}/s, BatchWriteItem, 8 in flight)`);
        db.destroy();
      }
      // Let the JVMs settle after the bulk writes (JIT, GC) before timing reads.
      await sleep(QUICK ? 2_000 : 10_000);
      const at = await progressInterleaved(servers, admins, QUICK ? 15 : 60);
      for (const [i, p] of at.entries()) {
        const total = p.total.draft + p.total.submitted + p.total.returned + p.total.approved;
        log(`    B${SIZES[i]! / 1000}k (progress shows ${total}): GET /api/progress ${p.httpMs.toFixed(2)} ms, cells query ${p.queryMs.toFixed(2)} ms; items read ${p.itemsRead} = cells ${p.cells}`);
      }
      const lo = at[0]!;
      const hi = at.at(-1)!;
      results.target('3', `progress_${SIZES.at(-1)! / 1000}k_vs_${SIZES[0]! / 1000}k`, hi.httpMs / lo.httpMs, 1.2, 'ratio',
        `GET /api/progress median ${hi.httpMs.toFixed(2)} vs ${lo.httpMs.toFixed(2)} ms (${SIZES.map((n, i) => `${n / 1000}k ${at[i]!.httpMs.toFixed(2)}`).join(', ')}); the cells query alone ${(hi.queryMs / lo.queryMs).toFixed(2)}×`);
      results.target('3', 'progress_items_read_per_cell', Math.max(...at.map((p) => p.itemsRead / p.cells)), 1, 'ratio', `items read ${SIZES.map((n, i) => `${n / 1000}k: ${at[i]!.itemsRead}`).join(', ')}; cells ${hi.cells} in each`);

      // 5 — exports of the whole district: 10k rows vs 100k rows, alternating between the two servers.
      const hasExports = ROUTES.some((r) => r.path === '/api/exports');
      if (!hasExports) {
        results.gap('5', 'export_peak_memory', 'not built yet: no /api/exports route');
      } else {
        try {
          const s10 = servers[SIZES.length - 2]!;
          const s100 = servers[SIZES.length - 1]!;
          const a10 = admins[SIZES.length - 2]!;
          const a100 = admins[SIZES.length - 1]!;
          const timed = { lo: [] as number[], hi: [] as number[] };
          const heap = { lo: [] as number[], hi: [] as number[] };
          const rss = { lo: [] as number[], hi: [] as number[] };
          let rows = { lo: 0, hi: 0 };
          let bytes = 0;
          for (let r = 0; r < (QUICK ? 1 : 2); r++) {
            const x = await exportOnce(s10, a10, false);
            const y = await exportOnce(s100, a100, false);
            timed.lo.push(x.rows / x.seconds);
            timed.hi.push(y.rows / y.seconds);
            rows = { lo: x.rows, hi: y.rows };
            bytes = y.bytes;
          }
          for (let r = 0; r < (QUICK ? 1 : 2); r++) {
            for (const [k, server, admin] of (r % 2 ? [['hi', s100, a100], ['lo', s10, a10]] : [['lo', s10, a10], ['hi', s100, a100]]) as ['lo' | 'hi', Server, Api][]) {
              const m = (await exportOnce(server, admin, true)).mem!;
              log(`    export ${k === 'lo' ? 'smaller' : 'larger'}: live heap ${((m.heapPeak - m.heapBase) / 1048576).toFixed(1)} MB over ${(m.heapBase / 1048576).toFixed(1)} MB, RSS +${((m.rssPeak - m.rssBase) / 1048576).toFixed(1)} MB (${JSON.stringify(m)})`);
              heap[k].push(m.heapPeak - m.heapBase);
              rss[k].push(m.rssPeak - m.rssBase);
            }
          }
          const mb = (x: number) => `${(x / 1048576).toFixed(1)} MB`;
          const hLo = Math.max(median(heap.lo), 1);
          results.target('5', `export_peak_memory_${Math.round(rows.hi / 1000)}k_vs_${Math.round(rows.lo / 1000)}k_rows`, median(heap.hi) / hLo, 1.2, 'ratio',
            `peak live heap growth during the export (forced GC every 200 ms): ${mb(median(heap.hi))} vs ${mb(median(heap.lo))}; peak RSS growth ${mb(median(rss.hi))} vs ${mb(median(rss.lo))}; CSV ${mb(bytes)}`);
          results.info('5', 'export_rows_per_s', median(timed.hi), 'per_s', `${rows.hi} rows, CSV, POST to done; ${rows.lo} rows: ${median(timed.lo).toFixed(0)}/s`);
        } catch (e) {
          results.gap('5', 'export_peak_memory', `not measured: the export failed (${(e as Error).message.slice(0, 160)})`);
        }
      }

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
        const def = largestForm();
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

  // 6 — bundles.
  if (want('6')) {
    log('\n[6] Lambda bundles');
    const bundles = await benchBundles(QUICK ? 3 : 9);
    for (const x of bundles) {
      results.info('6', `lambda_${x.module}_zip`, x.zipKb, 'kB', `${x.jsKb.toFixed(0)} kB minified JS + map; init ${x.initMs.toFixed(0)} ms = ${x.initRatio.toFixed(1)}× an empty module`);
    }
    results.info('6', 'lambda_init_vs_empty_module', median(bundles.map((x) => x.initRatio)), 'ratio', `median over ${bundles.length} functions; fresh node process each, interleaved`);
  }

  log(`\nDone in ${((now() - started) / 60000).toFixed(1)} min.\n`);
  log(results.table());
  results.write(join(ROOT, 'bench-results.json'));
  log(`\nWrote bench-results.json (${Object.keys(results.json).length} figures with targets).`);
}

await main();
