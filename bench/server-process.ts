/**
 * The driving side of bench/server.ts: start the server under test in a process of its own (so the load generator — or
 * the test runner — shares neither its event loop nor its heap), wait for `READY`, and drive its memory probe over stdin.
 * Used by the benchmarks (bench/run.ts) and by the export-scale test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { now, sleep } from './lib';

const ROOT = resolve(import.meta.dirname, '..');

/** Live heap (heapUsed + external, after a forced GC) and RSS, in bytes: the minimum before the mark, the maximum after. */
export interface Probe {
  heapBase: number;
  heapPeak: number;
  rssBase: number;
  rssPeak: number;
  samples: number;
  gc: boolean;
}

export interface ServerProcess {
  url: string;
  env: Record<string, string>;
  pid: number;
  probeStart(): void;
  probeMark(): void;
  probeStop(): Promise<Probe>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** DynamoDB Local on disk instead of in memory. */
  persistent?: boolean;
  /** The built web app to serve. */
  webRoot?: string;
  /** DynamoDB Local with the fast-start JVM options of the tests instead of the full JIT of the benchmarks. */
  fastStart?: boolean;
  /** Shown in the `ready` line. */
  label?: string;
  log?: (line: string) => void;
}

export async function startServer(opts: ServerOptions = {}): Promise<ServerProcess> {
  const t = now();
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'server.ts')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_PERSISTENT: opts.persistent ? '1' : '', BENCH_WEB_ROOT: opts.webRoot ?? '', BENCH_FAST_START: opts.fastStart ? '1' : '' },
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
  opts.log?.(`  server ${opts.label ?? ''}${opts.persistent ? ' (DynamoDB on disk)' : ' (DynamoDB in memory)'} ready in ${((now() - t) / 1000).toFixed(1)} s at ${ready.url}`);
  return {
    url: ready.url,
    env: ready.env,
    pid: child.pid!,
    probeStart: () => child.stdin!.write('probe-start\n'),
    probeMark: () => child.stdin!.write('probe-mark\n'),
    probeStop: () =>
      new Promise<Probe>((res, rej) => {
        if (child.exitCode !== null) return rej(new Error('bench server has exited'));
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
