/** Benchmark plumbing: statistics, a tiny HTTP client, fixed-duration concurrent load, the results table and JSON. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const now = () => performance.now();

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (x: number, digits = 2) => Number(x.toFixed(digits));

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export class Api {
  constructor(
    readonly base: string,
    public token?: string,
  ) {}

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    const r = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep the text */
    }
    return { status: r.status, body: parsed, headers: r.headers };
  }

  static async login(base: string, username: string, password: string): Promise<Api> {
    const a = new Api(base);
    const r = await a.req('POST', '/api/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
    a.token = r.body.token;
    return a;
  }
}

// ── load ────────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface LoadResult {
  seconds: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  perSecond: number;
  p50: number;
  p95: number;
}

/**
 * `clients` concurrent loops calling `op(i)` for `seconds` (closed loop: each client sends its next request when the
 * previous one has answered). `op` returns true on success; its latency is recorded either way.
 */
export async function load(seconds: number, clients: number, op: (i: number) => Promise<{ ok: boolean; status: number | string }>): Promise<LoadResult> {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let i = 0;
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (now() < end) {
        const t = now();
        let r: { ok: boolean; status: number | string };
        try {
          r = await op(i++);
        } catch (e) {
          r = { ok: false, status: (e as Error).name || 'error' };
        }
        lat.push(now() - t);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.ok) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (now() - start) / 1000;
  return { seconds: elapsed, ok, failed, statuses, perSecond: ok / elapsed, p50: median(lat), p95: percentile(lat, 95) };
}

// ── results ─────────────────────────────────────────────────────────────────────────────────────────────────────────

export type Unit = 'ratio' | 'ms' | 'kB' | 'per_s';

export interface Figure {
  value: number;
  target: number;
  unit: Unit;
  pass: boolean;
}

interface Row {
  item: string;
  name: string;
  value: string;
  target: string;
  verdict: string;
  note: string;
}

/** Collects figures: targeted ones go to bench-results.json and the table; informational ones and gaps only to the table. */
export class Results {
  readonly json: Record<string, Figure> = {};
  private readonly rows: Row[] = [];

  /** A figure with a target from the issue. `atMost`: lower is better (default); otherwise higher is better. */
  target(item: string, name: string, value: number, target: number, unit: Unit, note = '', atMost = true) {
    const pass = Number.isFinite(value) && (atMost ? value <= target : value >= target);
    this.json[name] = { value: round(value, 4), target, unit, pass };
    this.rows.push({ item, name, value: fmt(value, unit), target: `${atMost ? '≤' : '≥'} ${fmt(target, unit)}`, verdict: pass ? 'PASS' : 'MISS', note });
    this.print(this.rows.at(-1)!);
  }

  /** A figure with a hard requirement that is not a number (e.g. 100% success). */
  check(item: string, name: string, ok: boolean, value: string, requirement: string, note = '') {
    this.rows.push({ item, name, value, target: requirement, verdict: ok ? 'PASS' : 'FAIL', note });
    this.print(this.rows.at(-1)!);
  }

  /** A figure without a target in the issue: printed, not judged, not in the JSON. */
  info(item: string, name: string, value: number | string, unit: Unit | '' = '', note = '') {
    this.rows.push({ item, name, value: typeof value === 'number' ? fmt(value, unit) : value, target: '—', verdict: 'info', note });
    this.print(this.rows.at(-1)!);
  }

  /** Nothing to measure (yet), or deliberately not measured: a line saying so, never a number. */
  gap(item: string, name: string, why: string) {
    this.rows.push({ item, name, value: '—', target: '—', verdict: why.startsWith('not built') ? 'not built yet' : 'not measured', note: why });
    this.print(this.rows.at(-1)!);
  }

  private print(r: Row) {
    console.log(`  [${r.item}] ${r.name}: ${r.value} (target ${r.target}) ${r.verdict}${r.note ? ` — ${r.note}` : ''}`);
  }

  table(): string {
    const head: Row = { item: '#', name: 'figure', value: 'value', target: 'target', verdict: 'verdict', note: 'how / why' };
    const all = [head, ...this.rows];
    const w = (k: keyof Row, max = 200) => Math.min(max, Math.max(...all.map((r) => r[k].length)));
    const widths = { item: w('item'), name: w('name'), value: w('value'), target: w('target'), verdict: w('verdict') };
    const line = (r: Row) =>
      [r.item.padEnd(widths.item), r.name.padEnd(widths.name), r.value.padStart(widths.value), r.target.padEnd(widths.target), r.verdict.padEnd(widths.verdict), r.note].join(' │ ');
    const sep = Object.values(widths).map((n) => '─'.repeat(n)).join('─┼─') + '─┼─' + '─'.repeat(20);
    return [line(head), sep, ...this.rows.map(line)].join('\n');
  }

  /** `merge`: keep the figures already in the file that this run did not measure (a run of some items only). */
  write(file: string, merge = false) {
    let json = this.json;
    if (merge && existsSync(file)) json = { ...(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Figure>), ...this.json };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  }
}

export function fmt(v: number, unit: Unit | ''): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'ratio':
      return `${v.toFixed(2)}×`;
    case 'ms':
      return v < 1 ? `${(v * 1000).toFixed(1)} µs` : `${v.toFixed(1)} ms`;
    case 'kB':
      return `${v.toFixed(1)} kB`;
    case 'per_s':
      return `${v.toFixed(0)}/s`;
    default:
      return String(round(v, 3));
  }
}
