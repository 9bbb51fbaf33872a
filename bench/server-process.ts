/**
 * The driving side of bench/server.ts: start the server under test in a process of its own (so the load generator — or
 * the test runner — shares neither its event loop nor its heap), wait for `READY`, and drive its memory probe over stdin.
 * Used by the benchmarks (bench/run.ts) and by the export-scale test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

export type BenchStore = 'embedded' | 'dynamodb';

export interface ServerProcess {
  url: string;
  /** Environment of the AWS set's clients (`dynamodb`; empty for `embedded`). */
  env: Record<string, string>;
  store: BenchStore;
  dataDir: string;
  /** `embedded`: the server's database file (DATA_DIR/census.db), which the bench may open beside it (WAL). */
  dbFile?: string;
  /** The node server process. */
  pid: number;
  /** Resident memory of the server and of the processes of its adapter set (DynamoDB Local's JVM, the S3 emulator). */
  rss(): ServerRss;
  probeStart(): void;
  probeMark(): void;
  probeStop(): Promise<Probe>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** The adapter set (BENCH_STORE): `embedded` (default, on disk as `npm start` runs it) or `dynamodb`. */
  store?: BenchStore;
  /** `dynamodb`: DynamoDB Local on disk instead of in memory. */
  persistent?: boolean;
  /** The built web app to serve. */
  webRoot?: string;
  /** DynamoDB Local with the fast-start JVM options of the tests instead of the full JIT of the benchmarks. */
  fastStart?: boolean;
  /** Shown in the `ready` line. */
  label?: string;
  /** Extra node options for the server process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  log?: (line: string) => void;
}

/** Bytes of resident memory (VmRSS) of a process, or 0 when it has gone. */
export function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process below `root` (children, grandchildren…), with its command line, from /proc. */
export function descendants(root: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        /* gone */
      }
      out.push({ pid: child, cmd });
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** CPU time (clock ticks) used so far by a process and everything below it that is still running. */
function treeTicks(root: number): number {
  let ticks = 0;
  for (const pid of [root, ...descendants(root).map((p) => p.pid)]) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14-17 of /proc/<pid>/stat (utime, stime, cutime, cstime) are 12-15 after the state field.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* gone */
    }
  }
  return ticks;
}

function machineTicks(): { busy: number; total: number } {
  const [, ...v] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = v.slice(0, 8).map(Number); // user nice system idle iowait irq softirq steal
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - n[3]! - n[4]!, total };
}

/**
 * How busy the machine was while a phase ran, and how much of that was not this benchmark: the share of all cores'
 * time used by processes outside this process's tree (the bench, its servers, their JVMs and emulators). Other work on a
 * shared machine competes for the same cores and lowers the figures; the notes say so when it happened.
 */
export function cpuWatch(): () => { othersPct: number; oursPct: number } {
  const m0 = machineTicks();
  const o0 = treeTicks(process.pid);
  return () => {
    const m1 = machineTicks();
    const ours = treeTicks(process.pid) - o0;
    const total = Math.max(1, m1.total - m0.total);
    return { othersPct: Math.max(0, ((m1.busy - m0.busy - ours) / total) * 100), oursPct: (ours / total) * 100 };
  };
}

export interface ServerRss {
  /** The node server process. */
  server: number;
  /** DynamoDB Local's JVM (`dynamodb` only). */
  java: number;
  /** The S3 emulator's node process (`dynamodb` only). */
  s3: number;
  total: number;
}

export async function startServer(opts: ServerOptions = {}): Promise<ServerProcess> {
  const t = now();
  const store = opts.store ?? 'embedded';
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', ...(opts.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'bench', 'server.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      BENCH_STORE: store,
      BENCH_PERSISTENT: opts.persistent ? '1' : '',
      BENCH_WEB_ROOT: opts.webRoot ?? '',
      BENCH_FAST_START: opts.fastStart ? '1' : '',
      BENCH_DATA_DIR: '',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const rl = createInterface({ input: child.stdout! });
  const waiting: ((p: Probe) => void)[] = [];
  const ready = await new Promise<{ url: string; env: Record<string, string>; dataDir: string; dbFile?: string }>((res, rej) => {
    rl.on('line', (line) => {
      if (line.startsWith('READY ')) res(JSON.parse(line.slice(6)));
      else if (line.startsWith('PROBE ')) waiting.shift()?.(JSON.parse(line.slice(6)));
    });
    child.once('exit', (code) => rej(new Error(`bench server exited (${code}) before it was ready`)));
  });
  const kind = store === 'embedded' ? 'embedded store on disk' : opts.persistent ? 'DynamoDB Local on disk' : 'DynamoDB Local in memory';
  opts.log?.(`  server ${opts.label ?? ''} (${kind}) ready in ${((now() - t) / 1000).toFixed(1)} s at ${ready.url}`);
  const pid = child.pid!;
  let helpers: { java?: number; s3?: number } | undefined;
  const rss = (): ServerRss => {
    if (store === 'dynamodb' && !helpers) {
      const below = descendants(pid);
      helpers = { java: below.find((p) => p.cmd.startsWith('java ') && p.cmd.includes('DynamoDBLocal.jar'))?.pid, s3: below.find((p) => p.cmd.includes('s3-server.ts'))?.pid };
    }
    const server = rssOf(pid);
    const java = helpers?.java ? rssOf(helpers.java) : 0;
    const s3 = helpers?.s3 ? rssOf(helpers.s3) : 0;
    return { server, java, s3, total: server + java + s3 };
  };
  return {
    url: ready.url,
    env: ready.env,
    store,
    dataDir: ready.dataDir,
    ...(ready.dbFile ? { dbFile: ready.dbFile } : {}),
    pid,
    rss,
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
      // An unref'd timer: a pending 20 s sleep would keep the caller's process alive after the server is gone.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
