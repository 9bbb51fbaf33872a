/**
 * The benchmarked server in its own process (as in production, the load generator does not share its event loop).
 * `BENCH_STORE` picks the adapter set (default `embedded`):
 *  - `embedded`: what `npm start` runs — infra/local/stack.ts with the embedded store (SQLite in WAL with
 *    synchronous=FULL, files, in-process job queue) under a real DATA_DIR on disk (`BENCH_DATA_DIR`, else a fresh temp
 *    dir, removed at the end), seeded with the demo district (no demo records);
 *  - `dynamodb`: the AWS set — DynamoDB Local with the full JIT (the tests' fast-start JVM options when BENCH_FAST_START=1),
 *    in memory unless BENCH_PERSISTENT=1, the S3 emulator in a process of its own (bench/s3-server.ts), the job runner,
 *    the seeded demo district and the HTTP server (bench/stack.ts).
 * Prints one line `READY {json}` and stops when its stdin closes. Driven by bench/server-process.ts.
 *
 * Memory probe (export memory, item 5), driven by lines on stdin: `probe-start` forces two full GCs every 200 ms (the process
 * runs with --expose-gc; why two: see `sample`) and samples the live heap (heapUsed + external, which includes every Buffer and ArrayBuffer) and
 * RSS after each; the minimum before `probe-mark` is the baseline, the maximum after it the peak; `probe-stop` prints
 * `PROBE {"heapBase","heapPeak","rssBase","rssPeak","samples","gc"}` (bytes). Live heap after a forced GC is what the process really
 * holds, unlike RSS, which also grows with garbage V8 has not collected yet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

process.env.LOG_LEVEL = 'silent';
const store = process.env.BENCH_STORE || 'embedded';
if (store !== 'embedded' && store !== 'dynamodb') throw new Error(`BENCH_STORE must be embedded or dynamodb, not ${store}`);
const webRoot = process.env.BENCH_WEB_ROOT ? resolve(process.env.BENCH_WEB_ROOT) : undefined;

interface Running {
  url: string;
  env: Record<string, string>;
  dataDir: string;
  /** embedded: the database file the server writes. */
  dbFile?: string;
  close(): Promise<void>;
}

async function startEmbedded(): Promise<Running> {
  const { startLocalStack } = await import('../infra/local/stack');
  const { DATABASE_FILE } = await import('../infra/local/embedded');
  const ownDir = !process.env.BENCH_DATA_DIR;
  const dataDir = resolve(process.env.BENCH_DATA_DIR || mkdtempSync(join(tmpdir(), 'risk-census-bench-')));
  const stack = await startLocalStack({ dataDir, store: 'embedded', demoRecords: false, webRoot: webRoot ?? join(dataDir, 'no-web') });
  return {
    url: stack.url,
    env: stack.env,
    dataDir,
    dbFile: join(dataDir, DATABASE_FILE),
    close: async () => {
      await stack.stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startDynamo(): Promise<Running> {
  const [{ FAST_START_JVM_ARGS }, { startControlledStack }] = await Promise.all([import('../infra/local/dynamodb-local'), import('./stack')]);
  // S3 in its own process: on AWS it is not in the function's memory (the emulator holds multipart uploads in memory).
  const s3Dir = mkdtempSync(join(tmpdir(), 'risk-census-bench-s3-'));
  const s3: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 's3-server.ts'), s3Dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const s3Endpoint = await new Promise<string>((res, rej) => {
    createInterface({ input: s3.stdout! }).on('line', (l) => l.startsWith('READY ') && res(l.slice(6)));
    s3.once('exit', (code) => rej(new Error(`S3 emulator exited (${code})`)));
  });
  const jvmArgs = process.env.BENCH_FAST_START === '1' ? FAST_START_JVM_ARGS : [];
  const stack = await startControlledStack({ persistent: process.env.BENCH_PERSISTENT === '1', jvmArgs, s3Endpoint, ...(webRoot ? { webRoot } : {}) });
  return {
    url: stack.url,
    env: stack.env,
    dataDir: stack.dataDir,
    close: async () => {
      await stack.close().catch(() => {});
      s3.stdin?.end();
      await new Promise((r) => setTimeout(r, 200));
      rmSync(s3Dir, { recursive: true, force: true });
    },
  };
}

const running = store === 'embedded' ? await startEmbedded() : await startDynamo();
process.stdout.write(`READY ${JSON.stringify({ url: running.url, env: running.env, dataDir: running.dataDir, dbFile: running.dbFile, store, pid: process.pid })}\n`);

const gc = (globalThis as { gc?: () => void }).gc;
const sample = () => {
  // Twice: V8 frees the memory behind dead Buffers (ArrayBuffer backing stores) on a background thread after a GC, so
  // right after one GC `external` still counts the garbage of the last 200 ms — up to ~8 MB while a file streams at
  // full speed, which looked like growth with the file's size. The second GC waits for that sweep to finish.
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  // `arrayBuffers` is part of `external`: adding it again would count every Buffer twice.
  return { heap: m.heapUsed + m.external, rss: m.rss };
};
/** Samples before `probe-mark` give the baseline (their minimum), samples after it the peak (their maximum). */
let probe: { timer: NodeJS.Timeout; marked: boolean; samples: number; heapBase: number; rssBase: number; heapPeak: number; rssPeak: number } | undefined;

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  if (probe) clearInterval(probe.timer);
  await running.close().catch(() => {});
  process.exit(0);
};
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'probe-start') {
    if (probe) clearInterval(probe.timer);
    const first = sample();
    const p = { marked: false, samples: 1, heapBase: first.heap, rssBase: first.rss, heapPeak: 0, rssPeak: 0, timer: undefined as unknown as NodeJS.Timeout };
    p.timer = setInterval(() => {
      const x = sample();
      p.samples++;
      if (p.marked) {
        p.heapPeak = Math.max(p.heapPeak, x.heap);
        p.rssPeak = Math.max(p.rssPeak, x.rss);
      } else {
        p.heapBase = Math.min(p.heapBase, x.heap);
        p.rssBase = Math.min(p.rssBase, x.rss);
      }
    }, 200);
    probe = p;
  } else if (line === 'probe-mark' && probe) {
    probe.marked = true;
  } else if (line === 'probe-stop' && probe) {
    clearInterval(probe.timer);
    const x = sample();
    const { heapBase, rssBase, samples } = probe;
    const heapPeak = Math.max(probe.heapPeak, x.heap);
    const rssPeak = Math.max(probe.rssPeak, x.rss);
    probe = undefined;
    process.stdout.write(`PROBE ${JSON.stringify({ heapBase, heapPeak, rssBase, rssPeak, samples, gc: !!gc })}\n`);
  }
});
lines.on('close', close);
process.on('SIGTERM', close);
