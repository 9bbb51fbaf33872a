/**
 * Export memory and speed (issue item 5), shared by the benchmark and the export-scale test: one server process
 * (bench/server.ts, either adapter set) holds two copies of the same form, one with N rows and one with 10·N; exports of
 * the two alternate on that process, and the memory probe gives each export's peak live-heap growth over the baseline
 * just before it. Comparing within one process keeps JIT state, caches and GC heuristics the same for both sizes.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../functions/adapters/sqlite/database';
import { SqliteDirectoryStore } from '../functions/adapters/sqlite/directory';
import type { Submission } from '../functions/app/ports';
import type { ExportFormat } from '../functions/app/spreadsheets';
import { CATALOG, catalogForm } from '../functions/domain/catalog/index';
import type { FormDefinition } from '../functions/domain/forms';
import { generateSample } from '../functions/domain/samples';
import { DEMO_REGIONS } from '../infra/local/demo-district';
import { median, now, sleep } from './lib';
import { seedEmbedded, seedSubmissions, writeCounts } from './seed';
import type { Probe, ServerProcess } from './server-process';

/** Just enough of an HTTP client: bench/lib.ts `Api` and the tests' `Client` both fit. */
export interface ApiClient {
  req(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export const EXPORT_FORM = 'housing.rural-house';
/** A copy of EXPORT_FORM under another id: the larger of the two exports. */
export const EXPORT_FORM_LARGE = 'housing.rural-house-x10';
const VILLAGES = DEMO_REGIONS.filter((r) => r.level === 'village').map((r) => r.code);

function answers(i: number): Record<string, unknown> {
  const def = catalogForm(EXPORT_FORM)!;
  const entry = CATALOG.find((e) => e.definition.id === EXPORT_FORM)!;
  const d = generateSample(def, entry.sample, { regionCode: VILLAGES[i % VILLAGES.length]! }) as Record<string, unknown>;
  delete d.photos;
  return { ...d, householder: `户主${i}` };
}

/**
 * Seeds `rows` submissions of EXPORT_FORM and `largeRows` of its copy EXPORT_FORM_LARGE (published here), over the demo
 * district's villages, in the store's own shape (bench/seed.ts: `seedEmbedded` on the embedded store, `seedSubmissions`
 * on DynamoDB), with matching progress counters. One submission of each form goes through the API (the template); it
 * counts towards the totals.
 */
export async function seedExportForms(server: ServerProcess, admin: ApiClient, rows: number, largeRows: number): Promise<{ seconds: number }> {
  const t = now();
  const def = catalogForm(EXPORT_FORM) as FormDefinition;
  const copy: FormDefinition = { ...def, id: EXPORT_FORM_LARGE, version: 1, title: { zh: `${def.title.zh}（副本）`, en: `${def.title.en} (copy)` } };
  const answered = Array.from({ length: VILLAGES.length * 7 }, (_, i) => answers(i));
  const data = (i: number) => answered[i % answered.length]!;
  const templates = async (formId: string) => {
    const first = await admin.req('PUT', `/api/submissions/${randomUUID()}?submit=true`, { formId, regionCode: VILLAGES[0], data: answers(0) });
    if (first.status !== 201) throw new Error(`submit ${formId}: ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
    return first.body as Submission;
  };
  const by = (await admin.req('GET', '/api/me')).body.userId as string;
  if (server.store === 'embedded') {
    const db = openDatabase({ file: server.dbFile! });
    try {
      await new SqliteDirectoryStore(db).publishForm(copy);
    } finally {
      db.close();
    }
    for (const [formId, n] of [[EXPORT_FORM, rows], [EXPORT_FORM_LARGE, largeRows]] as const) {
      await seedEmbedded({ dbFile: server.dbFile!, template: await templates(formId), by, from: 1, to: n, regions: VILLAGES, data });
    }
    return { seconds: (now() - t) / 1000 };
  }
  const [{ documentClient }, { DynamoDirectoryStore }] = await Promise.all([import('../functions/adapters/dynamo/client'), import('../functions/adapters/dynamo/directory')]);
  const db = documentClient(server.env);
  try {
    await new DynamoDirectoryStore(db, server.env).publishForm(copy);
    const counts = new Map();
    for (const [formId, n] of [[EXPORT_FORM, rows], [EXPORT_FORM_LARGE, largeRows]] as const) {
      const template = await templates(formId);
      counts.set(`${formId}#${VILLAGES[0]}`, { formId, regionCode: VILLAGES[0], target: 0, draft: 0, submitted: 1, returned: 0, approved: 0 });
      await seedSubmissions({ env: server.env, db, template, by, from: 1, to: n, regions: VILLAGES, data, counts });
    }
    await writeCounts(server.env, db, counts);
  } finally {
    db.destroy();
  }
  return { seconds: (now() - t) / 1000 };
}

export interface ExportRun {
  id: string;
  rows: number;
  bytes: number;
  /** POST to done, as seen by the client (polling every 50 ms). */
  seconds: number;
  /** The download link of the finished file (absolute: the embedded store's links are relative to the server). */
  url: string;
  /** With `probe`: the server's live heap and RSS, the minimum before the export and the maximum during it. */
  mem?: Probe;
}

/**
 * One export of a whole form over the district: POST /api/exports, poll GET /api/exports/{id} until done. With `probe`,
 * the baseline is the smallest live heap over `baselineMs` of forced GCs before the export starts.
 */
export async function exportOnce(server: ServerProcess, api: ApiClient, formId: string, format: ExportFormat, probe: boolean, baselineMs = 2_000): Promise<ExportRun> {
  if (probe) {
    server.probeStart();
    await sleep(baselineMs);
    server.probeMark();
  }
  try {
    const t = now();
    const start = await api.req('POST', '/api/exports', { formId, format });
    if (start.status !== 202) throw new Error(`export: ${start.status} ${JSON.stringify(start.body).slice(0, 300)}`);
    for (;;) {
      const r = await api.req('GET', `/api/exports/${start.body.id}`);
      if (r.body?.status === 'done') {
        const seconds = (now() - t) / 1000;
        const mem = probe ? await server.probeStop() : undefined;
        probe = false;
        return { id: start.body.id, rows: r.body.rows, bytes: r.body.bytes, seconds, url: new URL(r.body.url, server.url).href, ...(mem ? { mem } : {}) };
      }
      if (r.body?.status === 'failed' || r.status >= 400) throw new Error(`export failed: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      await sleep(50);
    }
  } finally {
    if (probe) await server.probeStop();
  }
}

export interface ExportSide {
  rows: number;
  bytes: number;
  /** Peak live-heap growth per round, bytes. */
  heap: number[];
  /** Peak RSS growth per round, bytes. */
  rss: number[];
  /** Rows per second of each unprobed export (the probe's forced GCs would slow it down). */
  rowsPerS: number[];
}

export interface ExportComparison {
  format: ExportFormat;
  small: ExportSide;
  large: ExportSide;
  /** large/small peak live-heap growth, one per round. */
  ratios: number[];
  /** median(large heap growth) / median(small heap growth). */
  ratio: number;
  /** The probed exports of the last round (their download links are still valid for a few minutes). */
  last: { small: ExportRun; large: ExportRun };
}

/** Probed runs of the small export per round: its peak is the larger of the two. */
const SMALL_RUNS = 2;

/**
 * One unprobed export of the small form first (it loads and compiles the export path, so no probed export pays for
 * that), then `timed` unprobed exports of each size for rows/s, then `rounds` probed rounds: the small export twice and
 * the large one once, back to back, small first in even rounds and last in odd ones.
 *
 * Why the small export twice: the probe samples every 200 ms, and a peak (a page of 500 records being read and written)
 * lasts less than that, so the measured peak is the largest of the samples that happened to land near one. A 2,000-row
 * export gets ~15 samples, a 20,000-row one ~55; with one run each, the short export's peak is the more underestimated
 * one and the ratio leans upwards (per-round ratios of one-to-one runs: 0.92–1.38 around a median of 1.06). The larger of
 * two small runs evens the odds. Heap growth under 1 MB counts as 1 MB, so noise on a tiny figure cannot make a ratio.
 */
export async function compareExports(server: ServerProcess, api: ApiClient, format: ExportFormat, opts: { timed: number; rounds: number; baselineMs?: number; log?: (s: string) => void }): Promise<ExportComparison> {
  const side = (): ExportSide => ({ rows: 0, bytes: 0, heap: [], rss: [], rowsPerS: [] });
  const s = { small: side(), large: side() };
  const forms = { small: EXPORT_FORM, large: EXPORT_FORM_LARGE };
  await exportOnce(server, api, forms.small, format, false);
  for (let r = 0; r < opts.timed; r++) {
    for (const k of ['small', 'large'] as const) {
      const x = await exportOnce(server, api, forms[k], format, false);
      Object.assign(s[k], { rows: x.rows, bytes: x.bytes });
      s[k].rowsPerS.push(x.rows / x.seconds);
    }
  }
  const ratios: number[] = [];
  const floor = (x: number) => Math.max(x, 1024 * 1024);
  const last = {} as ExportComparison['last'];
  const probed = async (k: 'small' | 'large', runs: number) => {
    let heap = 0;
    let rss = 0;
    for (let i = 0; i < runs; i++) {
      const x = await exportOnce(server, api, forms[k], format, true, opts.baselineMs);
      const m = x.mem!;
      last[k] = x;
      Object.assign(s[k], { rows: x.rows, bytes: x.bytes });
      heap = Math.max(heap, m.heapPeak - m.heapBase);
      rss = Math.max(rss, m.rssPeak - m.rssBase);
      opts.log?.(`    ${format} ${x.rows} rows: live heap +${mb(m.heapPeak - m.heapBase)} over ${mb(m.heapBase)}, RSS +${mb(m.rssPeak - m.rssBase)}, ${m.samples} samples, ${x.seconds.toFixed(1)} s`);
    }
    s[k].heap.push(heap);
    s[k].rss.push(rss);
  };
  for (let r = 0; r < opts.rounds; r++) {
    for (const k of (r % 2 ? ['large', 'small'] : ['small', 'large']) as ('small' | 'large')[]) await probed(k, k === 'small' ? SMALL_RUNS : 1);
    ratios.push(floor(s.large.heap.at(-1)!) / floor(s.small.heap.at(-1)!));
  }
  return { format, ...s, ratios, ratio: floor(median(s.large.heap)) / floor(median(s.small.heap)), last };
}

export const mb = (x: number) => `${(x / 1048576).toFixed(1)} MB`;
