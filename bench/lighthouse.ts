/**
 * Lighthouse benchmark of the web app: mobile preset (Lighthouse's default config: Moto G Power emulation, simulated slow 4G
 * and 4x CPU slowdown), categories performance / accessibility / best-practices, on /login and on My tasks (/tasks) after a
 * real sign-in — as the admin (every sector's forms in every region: the heaviest case) and as a staff member (the page's
 * everyday user: one sector, one township).
 *
 *   node --import tsx bench/lighthouse.ts [--url=http://127.0.0.1:PORT] [--runs=3] [--pages=login,tasks,tasks-staff]
 *       [--user=admin] [--staff-user=staff-housing] [--password=…] [--out=bench-lighthouse.json] [--lhr-dir=DIR]
 *
 * Without --url it starts the product itself, as `npm start` does (`node --import tsx infra/local/start.ts` with a fresh
 * temporary DATA_DIR and a free PORT; it waits for 'Press Ctrl-C to stop.') and stops it at the end. Each run gets its own
 * Chrome (chrome-launcher, a fresh profile): Lighthouse then clears the HTTP cache, the service worker and Cache Storage
 * before it loads the page, so every run is a cold load.
 *
 * Sign-in for /tasks is real and done the way the login page does it: POST /api/auth/login with the account's password gives
 * a bearer token, GET /api/me with it the profile, and both are stored where the web app keeps its session (localStorage
 * 'risk-census.session' = { token, expiresAt, me }, see web/src/lib/session.svelte.ts) through Puppeteer on the app's origin
 * before Lighthouse navigates; Lighthouse's storage reset (service workers, Cache Storage, HTTP cache) keeps localStorage.
 * A run whose page ended anywhere but /tasks, or showed no task card, fails the benchmark (a redirect to /login would
 * otherwise be measured as "the tasks page").
 *
 * Prints the median of each score and metric per page over the runs, and the audits that failed (score < 0.9) with how many
 * runs they failed in; writes every run's figures to bench-lighthouse.json (and the full reports with --lhr-dir).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import puppeteer from 'puppeteer-core';

const root = resolve(import.meta.dirname, '..');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}`);
    return [m[1]!, m[2] ?? 'true'];
  }),
) as Record<string, string>;

const RUNS = Number(args.runs ?? 3);
const USER = args.user ?? 'admin';
const STAFF_USER = args['staff-user'] ?? 'staff-housing';
const PASSWORD = args.password ?? 'Census-2021!';
const OUT = resolve(root, args.out ?? 'bench-lighthouse.json');
const LHR_DIR = args['lhr-dir'] ? resolve(args['lhr-dir']) : undefined;
const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;
const METRICS = [
  ['FCP', 'first-contentful-paint'],
  ['LCP', 'largest-contentful-paint'],
  ['TBT', 'total-blocking-time'],
  ['CLS', 'cumulative-layout-shift'],
  ['SI', 'speed-index'],
  ['TTI', 'interactive'],
] as const;
const METRIC_IDS = new Set<string>(METRICS.map(([, id]) => id));
const SESSION_KEY = 'risk-census.session';

interface PageSpec {
  name: string;
  label: string;
  path: string;
  /** Signed in as this account; none: signed out. */
  user?: string;
}
const ALL_PAGES: PageSpec[] = [
  { name: 'login', label: '/login', path: '/login' },
  { name: 'tasks', label: `/tasks (${USER})`, path: '/tasks', user: USER },
  // My tasks is the field staff's page: one sector, one township (the admin sees every sector's forms in every region).
  { name: 'tasks-staff', label: `/tasks (${STAFF_USER})`, path: '/tasks', user: STAFF_USER },
];
const PAGES = args.pages ? ALL_PAGES.filter((p) => args.pages!.split(',').includes(p.name)) : ALL_PAGES;
if (!PAGES.length) throw new Error(`--pages: none of ${args.pages} (pages: ${ALL_PAGES.map((p) => p.name).join(', ')})`);

// Only the parts of Lighthouse's result this script reads.
interface Audit {
  id: string;
  title: string;
  score: number | null;
  scoreDisplayMode: string;
  numericValue?: number;
  displayValue?: string;
  details?: { overallSavingsBytes?: number; overallSavingsMs?: number; items?: unknown[] };
}
interface Lhr {
  lighthouseVersion: string;
  environment: { hostUserAgent: string; benchmarkIndex: number };
  finalDisplayedUrl: string;
  runtimeError?: { code: string; message: string };
  runWarnings: string[];
  categories: Record<string, { score: number | null; auditRefs: { id: string }[] }>;
  audits: Record<string, Audit>;
}

interface RunResult {
  run: number;
  finalUrl: string;
  scores: Record<string, number>;
  metrics: Record<string, number>;
  failing: { id: string; title: string; category: string; score: number | null; displayValue?: string; savingsBytes?: number; savingsMs?: number }[];
  warnings: string[];
  benchmarkIndex: number;
  check?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** `npm start` in a fresh temporary DATA_DIR on a free port; resolves once it prints 'Press Ctrl-C to stop.'. */
async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rc-lighthouse-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the server did not print 'Press Ctrl-C to stop.' within 240 s:\n${out}`));
    }, 240_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`the server exited (${code}) before it was ready:\n${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface StoredSession {
  token: string;
  expiresAt: string;
  me: unknown;
}

/**
 * What the login page does (web/src/routes/login/+page.svelte): POST /api/auth/login → session.signIn(token, expiresAt),
 * then GET /api/me → session.setMe(me). The result is what the app keeps in localStorage after a sign-in.
 */
async function signIn(base: string, username: string): Promise<StoredSession> {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (r.status !== 200) throw new Error(`sign-in as ${username} failed: ${r.status} ${await r.text()}`);
  const { token, expiresAt } = (await r.json()) as { token: string; expiresAt: string };
  if (!token || !expiresAt) throw new Error(`sign-in as ${username} answered without a token`);
  const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  if (me.status !== 200) throw new Error(`GET /api/me as ${username}: ${me.status} ${await me.text()}`);
  return { token, expiresAt, me: await me.json() };
}

async function runOnce(base: string, spec: PageSpec, run: number, session?: StoredSession): Promise<{ result: RunResult; lhr: Lhr }> {
  const chrome = await chromeLauncher.launch({ chromePath: CHROME_PATH, chromeFlags: CHROME_FLAGS, logLevel: 'silent' });
  try {
    const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}`, defaultViewport: null });
    try {
      const page = (await browser.pages())[0] ?? (await browser.newPage());
      if (session) {
        // A same-origin document that neither runs the app nor registers the service worker: the storage lands on the
        // app's origin and nothing else is cached before the measured load.
        await page.goto(`${base}/manifest.webmanifest`);
        await page.evaluate((key, value) => localStorage.setItem(key, value), SESSION_KEY, JSON.stringify(session));
        await page.goto('about:blank');
      }
      const runner = await lighthouse(
        base + spec.path,
        { logLevel: 'error', output: 'json', onlyCategories: [...CATEGORIES] },
        undefined,
        page as never,
      );
      if (!runner) throw new Error('Lighthouse returned no result');
      const lhr = runner.lhr as unknown as Lhr;
      if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);

      let check: string | undefined;
      const final = new URL(lhr.finalDisplayedUrl);
      if (final.pathname !== spec.path) check = `ended on ${final.pathname}${final.search}, not ${spec.path}`;
      else if (spec.user) {
        const cards = await page.$$eval('article.task', (els) => els.length).catch(() => 0);
        if (!cards) check = 'no task card on the page (the sign-in or the data did not load)';
      } else {
        const form = await page.$('input#username').catch(() => null);
        if (!form) check = 'no username field on the page';
      }

      const scores: Record<string, number> = {};
      for (const c of CATEGORIES) scores[c] = Math.round((lhr.categories[c]?.score ?? NaN) * 100);
      const metrics: Record<string, number> = {};
      for (const [k, id] of METRICS) metrics[k] = lhr.audits[id]?.numericValue ?? NaN;
      const failing: RunResult['failing'] = [];
      for (const c of CATEGORIES) {
        for (const ref of lhr.categories[c]?.auditRefs ?? []) {
          const a = lhr.audits[ref.id];
          if (!a || METRIC_IDS.has(a.id) || a.score === null || a.score >= 0.9) continue;
          if (!['binary', 'numeric', 'metricSavings'].includes(a.scoreDisplayMode)) continue;
          failing.push({
            id: a.id,
            title: a.title,
            category: c,
            score: a.score,
            displayValue: a.displayValue,
            savingsBytes: a.details?.overallSavingsBytes,
            savingsMs: a.details?.overallSavingsMs,
          });
        }
      }
      const result: RunResult = { run, finalUrl: lhr.finalDisplayedUrl, scores, metrics, failing, warnings: lhr.runWarnings, benchmarkIndex: lhr.environment.benchmarkIndex, check };
      return { result, lhr };
    } finally {
      await browser.disconnect();
    }
  } finally {
    chrome.kill();
  }
}

/**
 * What the server does about compression right now (the figures depend on it): the files the shell links (JS, CSS)
 * and one JSON answer. Tiny files are never compressed, so the static figure is the share of linked files that were.
 */
async function compressionState(base: string): Promise<{ static: string; api: string }> {
  const headers = { 'accept-encoding': 'br, gzip' };
  const enc = async (path: string, h: Record<string, string> = {}) => {
    const r = await fetch(base + path, { headers: { ...headers, ...h } });
    await r.arrayBuffer();
    return r.headers.get('content-encoding') ?? 'none';
  };
  const html = await (await fetch(`${base}/login`)).text();
  const linked = [...html.matchAll(/(\/_app\/immutable\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const encodings = await Promise.all(linked.map((p) => enc(p)));
  const used = [...new Set(encodings.filter((e) => e !== 'none'))];
  const compressed = encodings.filter((e) => e !== 'none').length;
  const staticState = compressed ? `${used.join('/')} (${compressed} of ${linked.length} linked files)` : 'none';
  // A JSON answer large enough to be worth compressing (/api/regions, which needs a session).
  let api = 'unknown';
  try {
    const session = await signIn(base, USER);
    api = await enc('/api/regions', { authorization: `Bearer ${session.token}` });
  } catch {
    /* leave unknown */
  }
  return { static: staticState, api };
}

/** A run that Lighthouse could not record (NO_NAVSTART, NO_FCP, a protocol timeout: a busy machine) is tried again, twice at most. */
async function runWithRetries(base: string, spec: PageSpec, run: number, session?: StoredSession): Promise<{ result: RunResult; lhr: Lhr }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(base, spec, run, session);
    } catch (e) {
      if (attempt >= 3) throw e;
      console.log(`  ${spec.label} run ${run}: ${(e as Error).message.split('\n')[0]} — trying again`);
      await sleep(2000);
    }
  }
}

const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '–');

async function main() {
  const server = args.url ? undefined : await startServer();
  const base = (args.url ?? server!.url).replace(/\/+$/, '');
  const results: { page: string; label: string; path: string; user: string | null; runs: RunResult[]; median: { scores: Record<string, number>; metrics: Record<string, number> } }[] = [];
  let lighthouseVersion = '';
  let userAgent = '';
  let compression = { static: 'unknown', api: 'unknown' };
  const load = [loadavg()[0]!];
  try {
    compression = await compressionState(base);
    console.log(`Lighthouse (mobile preset) on ${base}, ${RUNS} run(s) per page; compression: static files ${compression.static}, API JSON ${compression.api}; load average ${load[0]!.toFixed(1)} on ${cpus().length} CPUs`);
    for (const spec of PAGES) {
      const runs: RunResult[] = [];
      const session = spec.user ? await signIn(base, spec.user) : undefined;
      for (let i = 1; i <= RUNS; i++) {
        const { result, lhr } = await runWithRetries(base, spec, i, session);
        lighthouseVersion = lhr.lighthouseVersion;
        userAgent = lhr.environment.hostUserAgent;
        runs.push(result);
        if (LHR_DIR) {
          mkdirSync(LHR_DIR, { recursive: true });
          writeFileSync(join(LHR_DIR, `${spec.name}-${i}.json`), JSON.stringify(lhr));
        }
        const s = result.scores;
        console.log(
          `  ${spec.label} run ${i}: perf ${s.performance} a11y ${s.accessibility} bp ${s['best-practices']} · FCP ${fmtMs(result.metrics.FCP!)} LCP ${fmtMs(result.metrics.LCP!)} TBT ${Math.round(result.metrics.TBT!)} ms CLS ${result.metrics.CLS!.toFixed(3)} · benchmarkIndex ${Math.round(result.benchmarkIndex)}${result.check ? ` · CHECK FAILED: ${result.check}` : ''}`,
        );
        load.push(loadavg()[0]!);
        await sleep(500);
      }
      const med = {
        scores: Object.fromEntries(CATEGORIES.map((c) => [c, median(runs.map((r) => r.scores[c]!))])),
        metrics: Object.fromEntries(METRICS.map(([k]) => [k, median(runs.map((r) => r.metrics[k]!))])),
      };
      results.push({ page: spec.name, label: spec.label, path: spec.path, user: spec.user ?? null, runs, median: med });
    }
  } finally {
    await server?.stop();
  }

  // One table: medians per page, then the audits that failed and in how many runs.
  const rows = results.map((r) => {
    const counts = new Map<string, { title: string; n: number; display?: string }>();
    for (const run of r.runs)
      for (const f of run.failing) {
        const c = counts.get(f.id) ?? { title: f.title, n: 0, display: f.displayValue };
        c.n++;
        counts.set(f.id, c);
      }
    const failing = [...counts.values()].map((c) => `${c.title}${c.display ? ` (${c.display})` : ''}${c.n < r.runs.length ? ` [${c.n}/${r.runs.length} runs]` : ''}`);
    const m = r.median.metrics;
    return [
      r.label,
      String(r.median.scores.performance),
      String(r.median.scores.accessibility),
      String(r.median.scores['best-practices']),
      fmtMs(m.FCP!),
      fmtMs(m.LCP!),
      `${Math.round(m.TBT!)} ms`,
      m.CLS!.toFixed(3),
      fmtMs(m.SI!),
      failing.join('; ') || '—',
    ];
  });
  const head = ['page', 'perf', 'a11y', 'bp', 'FCP', 'LCP', 'TBT', 'CLS', 'SI', 'failing audits'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === head.length - 1 ? 0 : r[i]!.length))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log('');
  console.log(
    `Medians of ${RUNS} run(s), Lighthouse ${lighthouseVersion}, mobile preset (simulated throttling); compression: static ${compression.static}, API ${compression.api}; ` +
      `load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} on ${cpus().length} CPUs (simulated timings scale with the observed CPU time: a busy machine reads slower):`,
  );
  console.log(line(head));
  console.log(line(widths.map((w, i) => (i === head.length - 1 ? '---' : '-'.repeat(w)))));
  for (const r of rows) console.log(line(r));

  const problems = results.flatMap((r) => r.runs.filter((x) => x.check).map((x) => `${r.label} run ${x.run}: ${x.check}`));
  writeFileSync(
    OUT,
    `${JSON.stringify({ at: new Date().toISOString(), url: base, lighthouse: lighthouseVersion, userAgent, preset: 'mobile (default config)', runs: RUNS, compression, loadAverage: load, cpus: cpus().length, chromeFlags: CHROME_FLAGS, pages: results, problems }, null, 2)}\n`,
  );
  console.log(`\nWrote ${OUT}`);
  if (problems.length) {
    console.error(`\nThe measured pages were not the intended ones:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
