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
 *   5. export peak memory 2k vs 20k rows and rows/s, CSV, XLSX and GeoJSON (bench/exports.ts)
 *   6. Lambda bundle size (zipped) and module init time vs an empty module
 *   7. web entry JS (gzipped) and time to interactive of the largest form vs a static page
 *
 * `--quick` shortens every phase (for trying the bench out; the figures are then not the issue's); `--only=3,5` runs only
 * the phases of those items and merges their figures into bench-results.json.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.LOG_LEVEL = 'silent';

import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../functions/adapters/dynamo/client';
import { DynamoDirectoryStore } from '../functions/adapters/dynamo/directory';
import { DynamoProgressStore } from '../functions/adapters/dynamo/progress';
import type { Submission } from '../functions/app/ports';
import { CATALOG, catalogForm } from '../functions/domain/catalog/index';
import type { Cell } from '../functions/domain/progress';
import { generateSample } from '../functions/domain/samples';
import { ROUTES } from '../functions/http/routes';
import { DEMO_COUNTY, DEMO_PASSWORD, DEMO_REGIONS } from '../infra/local/demo-district';
import { compareExports, EXPORT_FORM, mb, seedExportForms } from './exports';
import { benchBundles } from './lambda';
import { Api, load, median, now, Results, sleep, type LoadResult } from './lib';
import { nextFrom, seedSubmissions, transactionFor, writeCounts } from './seed';
import { startServer, type ServerProcess as Server } from './server-process';
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
/** Item 5: the two export sizes the issue names. */
const EXPORT_ROWS = QUICK ? [1_000, 10_000] : [2_000, 20_000];

const SMALL = 'housing.rural-house';
const VILLAGES = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code);
const BIG_SPEC = syntheticSpec(250);
const BIG = toFormDefinition(BIG_SPEC, 'housing.bench-250-fields', 'housing');
const BIG_SAMPLES = Array.from({ length: 64 }, (_, i) => syntheticAnswers(BIG_SPEC, 1000 + i));

const results = new Results();
const log = (s: string) => console.log(s);

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

// ── item 3 ──────────────────────────────────────────────────────────────────────────────────────────────────────

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
    const a = await startServer({ log });
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
    const c = await startServer({ log, persistent: true });
    try {
      const admin = await Api.login(c.url, 'admin', DEMO_PASSWORD);
      const disk = await ingest(c, admin, 'small', `${SMALL} on disk`, (await reconcile(admin)).submissions);
      results.info('4', 'ingest_small_form_on_disk', disk.r.perSecond, 'per_s', `${describeLoad(disk.r)}; ${(disk.r.perSecond / inMemorySmall).toFixed(2)}× the in-memory figure; counters ${disk.countsOk ? '= recount' : 'DRIFT'}`);
    } finally {
      await c.stop();
    }
  }

  // 3 (and 7's time to interactive) — one server per size, measured interleaved.
  if (want('3', '7')) {
    log(`\n[3] servers B: ${SIZES.map((n) => n / 1000 + 'k').join(', ')} submissions of ${SMALL}, one server each, measured interleaved`);
    const webRoot = existsSync(join(WEB_BUILD, 'index.html')) ? WEB_BUILD : undefined;
    const servers = await Promise.all(SIZES.map((n, i) => startServer({ log, label: `B${n / 1000}k`, ...(i === 0 && webRoot ? { webRoot } : {}) })));
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
        await seedSubmissions({ env: server.env, db, template: first.body as Submission, by: me, from: 1, to: size, regions: VILLAGES, data: (i) => ({ ...SMALL_SAMPLES[0], householder: `户主${i}` }), counts });
        await writeCounts(server.env, db, counts);
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

  // 5 — exports: 2k vs 20k rows of the same form on one server, per format, alternating.
  if (want('5')) {
    const [lo, hi] = EXPORT_ROWS;
    log(`\n[5] server E: exports of ${lo! / 1000}k vs ${hi! / 1000}k submissions (${EXPORT_FORM} and a copy), alternating on one server`);
    const e = await startServer({ log, label: 'E' });
    try {
      const admin = await Api.login(e.url, 'admin', DEMO_PASSWORD);
      if (!ROUTES.some((r) => r.path === '/api/exports')) {
        results.gap('5', 'export_peak_memory', 'not built yet: no /api/exports route');
      } else {
        const seeded = await seedExportForms(e, admin, lo!, hi!);
        log(`    seeded ${lo! + hi!} submissions in ${seeded.seconds.toFixed(1)} s`);
        await sleep(QUICK ? 1_000 : 5_000);
        for (const format of ['csv', 'xlsx', 'geojson'] as const) {
          try {
            const c = await compareExports(e, admin, format, { timed: QUICK ? 1 : 2, rounds: QUICK ? 2 : 4, log });
            const spread = `${Math.min(...c.ratios).toFixed(2)}–${Math.max(...c.ratios).toFixed(2)}`;
            results.target('5', `export_${format}_peak_memory_${Math.round(c.large.rows / 1000)}k_vs_${Math.round(c.small.rows / 1000)}k_rows`, c.ratio, 1.2, 'ratio',
              `peak live-heap growth (heapUsed+external after forced GCs every 200 ms) ${mb(median(c.large.heap))} vs ${mb(median(c.small.heap))}, median of ${c.ratios.length}; per-round ratios ${spread}; peak RSS growth ${mb(median(c.large.rss))} vs ${mb(median(c.small.rss))}`);
            results.info('5', `export_${format}_rows_per_s`, median(c.large.rowsPerS), 'per_s',
              `${c.large.rows} rows (${mb(c.large.bytes)}), POST to done, median of ${c.large.rowsPerS.length}; ${c.small.rows} rows: ${median(c.small.rowsPerS).toFixed(0)}/s`);
          } catch (err) {
            results.gap('5', `export_${format}_peak_memory`, `not measured: the export failed (${(err as Error).message.slice(0, 160)})`);
          }
        }
      }
    } finally {
      await e.stop();
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
  results.write(join(ROOT, 'bench-results.json'), !!ONLY);
  log(`\nWrote bench-results.json (${Object.keys(results.json).length} figures with targets${ONLY ? ', merged into the figures already there' : ''}).`);
}

await main();
