/**
 * DynamoDB Local (AWS's own emulator, 1.25.1) as a child process.
 *
 * The jar ships inside the npm package `amplify-dynamodb-simulator@2.9.30` (folder `emulator/`); package.json overrides that
 * package's only heavy dependency (`@aws-amplify/amplify-cli-core`) with an empty package, because the jar needs none of the
 * package's JavaScript. Needs Java 17+ on PATH.
 *
 * The JVM runs under a tiny `sh` watchdog that holds the read end of a pipe whose write end only this Node process holds: when
 * this process goes away in any way (normal exit, Ctrl-C, SIGTERM, even SIGKILL) the pipe closes and the watchdog stops the
 * JVM, so no ~350 MB emulator is left behind. On a normal exit the 'exit' handler also signals the JVM directly.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { freePort } from './ports.ts';

/**
 * Dummy credentials for the local emulator only. Never export them as AWS_* variables (the CDK CLI would call STS).
 * Hand each client a copy: the SDK writes feature-tracking fields onto the credentials object it is given
 * (a frozen object makes every call fail with "Cannot set properties of undefined (setting 'CREDENTIALS_CODE')").
 */
export const LOCAL_DYNAMO_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};
export const LOCAL_REGION = 'us-east-1';
export const MIN_JAVA_MAJOR = 17;

export interface StartDynamoLocalOptions {
  /** TCP port; 0 or undefined picks a free one. */
  port?: number;
  /** Persistent store (`-sharedDb -dbPath DIR`, created if missing); without it the store is in memory. */
  dbPath?: string;
  /** How long to wait for the emulator to answer ListTables (default 60 s; a 2-core machine under load needed ~30 s). */
  startTimeoutMs?: number;
  /** Extra JVM options placed before `-jar`, e.g. FAST_START_JVM_ARGS for tests. Default: none (full JIT). */
  jvmArgs?: readonly string[];
  /** Receives the emulator's stdout/stderr (default: kept in a small buffer, shown only in errors). */
  onOutput?: (chunk: string) => void;
}

export interface DynamoLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * JVM options that trade peak throughput for start-up time (C1 compiler only, serial GC): measured on 2 cores,
 * ~2.7 s vs ~3.1 s idle and ~8–11 s vs ~11–29 s under heavy load. Use them for short-lived test instances, not when
 * measuring throughput.
 */
export const FAST_START_JVM_ARGS: readonly string[] = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

export const JAVA_INSTALL_HINT =
  'Install a Java 17+ runtime: on Debian/Ubuntu `apt-get update && apt-get install -y openjdk-17-jre-headless` ' +
  '(as root); elsewhere any Java 17 or newer (e.g. Eclipse Temurin 17/21), so that `java -version` works on PATH.';

/** A DynamoDBClient for the local emulator: dummy credentials in code, fixed region, few retries. */
export function localDynamoClient(endpoint: string, overrides: Partial<DynamoDBClientConfig> = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { ...LOCAL_DYNAMO_CREDENTIALS },
    maxAttempts: 3,
    ...overrides,
  });
}

/** Folder holding DynamoDBLocal.jar and DynamoDBLocal_lib (resolved from node_modules). */
export function dynamoLocalEmulatorDir(): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve('amplify-dynamodb-simulator/package.json');
  } catch {
    throw new Error(
      'DynamoDB Local: the npm package amplify-dynamodb-simulator is not installed (it carries DynamoDBLocal.jar). Run `npm ci`.',
    );
  }
  const dir = join(dirname(pkgJson), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDB Local: ${join(dir, 'DynamoDBLocal.jar')} is missing. Reinstall with \`npm ci\`.`);
  }
  return dir;
}

/** Parses the major version from `java -version` output: `"1.8.0_392"` → 8, `"17.0.15"` → 17, `"21"` → 21. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!m?.[1]) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

/** Checks that `java` exists and is 17+; throws an error that says exactly what to install otherwise. */
export async function checkJava(javaBin = 'java'): Promise<{ major: number | undefined; output: string }> {
  const output = await new Promise<string>((resolvePromise, reject) => {
    execFile(javaBin, ['-version'], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+, but \`${javaBin}\` was not found on PATH. ${JAVA_INSTALL_HINT}`));
        return;
      }
      if (err) {
        reject(new Error(`DynamoDB Local: \`${javaBin} -version\` failed: ${err.message}\n${stderr}${stdout}\n${JAVA_INSTALL_HINT}`));
        return;
      }
      resolvePromise(`${stderr}${stdout}`);
    });
  });
  const major = parseJavaMajor(output);
  if (major !== undefined && major < MIN_JAVA_MAJOR) {
    throw new Error(
      `DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+, but \`${javaBin} -version\` reports Java ${major}:\n${output.trim()}\n${JAVA_INSTALL_HINT}`,
    );
  }
  return { major, output };
}

// Runs "$@" (the java command) in the background with stdin from /dev/null, prints its pid, and kills it when our stdin
// (a pipe only the Node parent writes to) reaches EOF, i.e. when the parent stops it or dies.
const WATCHDOG = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'jpid=$!',
  'echo "pid=$jpid"',
  '( cat <&3 >/dev/null 2>&1; kill -TERM "$jpid" 2>/dev/null ) &',
  'wpid=$!',
  'exec 3<&-',
  'wait "$jpid"',
  'code=$?',
  'kill "$wpid" 2>/dev/null',
  'exit "$code"',
].join('\n');

const OUTPUT_TAIL = 8_192;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class StartFailure extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

export async function startDynamoLocal(opts: StartDynamoLocalOptions = {}): Promise<DynamoLocal> {
  await checkJava();
  const emulatorDir = dynamoLocalEmulatorDir();
  const dbPath = opts.dbPath === undefined ? undefined : resolve(opts.dbPath);
  if (dbPath) mkdirSync(dbPath, { recursive: true });
  const autoPort = !opts.port;
  // A port picked by freePort() can be taken by someone else before the JVM binds it: retry a few times then.
  for (let attempt = 1; ; attempt++) {
    const port = autoPort ? await freePort() : (opts.port as number);
    try {
      return await startOnce(emulatorDir, port, dbPath, opts);
    } catch (err) {
      if (autoPort && err instanceof StartFailure && err.addressInUse && attempt < 3) continue;
      throw err;
    }
  }
}

async function startOnce(
  emulatorDir: string,
  port: number,
  dbPath: string | undefined,
  opts: StartDynamoLocalOptions,
): Promise<DynamoLocal> {
  const javaArgs = [
    ...(opts.jvmArgs ?? []),
    `-Djava.library.path=${join(emulatorDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(emulatorDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb', // one database whatever the credentials/region of the caller
    ...(dbPath ? ['-dbPath', dbPath] : ['-inMemory']),
    '-disableTelemetry',
  ];
  const useWatchdog = process.platform !== 'win32';
  const child: ChildProcess = useWatchdog
    ? spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', 'java', ...javaArgs], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('java', javaArgs, { stdio: ['ignore', 'pipe', 'pipe'] });

  let output = '';
  let javaPid: number | undefined = useWatchdog ? undefined : child.pid;
  let pidLine = ''; // the watchdog's first stdout line, "pid=N"
  let pidLineSeen = !useWatchdog;
  const keep = (text: string) => {
    if (!text) return;
    output = (output + text).slice(-OUTPUT_TAIL);
    opts.onOutput?.(text);
  };
  const onChunk = (buf: Buffer) => {
    let text = buf.toString('utf8');
    if (!pidLineSeen) {
      pidLine += text;
      const nl = pidLine.indexOf('\n');
      if (nl < 0) return;
      const m = /^pid=(\d+)$/.exec(pidLine.slice(0, nl));
      if (m?.[1]) javaPid = Number(m[1]);
      text = m ? pidLine.slice(nl + 1) : pidLine;
      pidLine = '';
      pidLineSeen = true;
    }
    keep(text);
  };
  child.stdin?.on('error', () => {}); // EPIPE once the watchdog is gone
  child.stdout?.on('data', onChunk);
  child.stderr?.on('data', (buf: Buffer) => keep(buf.toString('utf8')));

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((r) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      child.stdin?.destroy(); // lets a lingering watchdog `cat` see EOF
      r();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });

  const killJava = (signal: NodeJS.Signals) => {
    if (exited) return;
    try {
      if (javaPid !== undefined) process.kill(javaPid, signal);
      else child.kill(signal);
    } catch {
      /* already gone */
    }
  };
  const onParentExit = () => {
    killJava('SIGTERM');
    child.stdin?.destroy();
  };
  process.on('exit', onParentExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      killJava('SIGTERM');
      child.stdin?.end();
      const timedOut = await Promise.race([exitPromise.then(() => false), sleep(10_000).then(() => true)]);
      if (timedOut) {
        killJava('SIGKILL');
        child.kill('SIGKILL');
        await exitPromise;
      }
      process.off('exit', onParentExit);
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const probe = localDynamoClient(endpoint, {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (spawnError) throw new StartFailure(`DynamoDB Local: could not start: ${spawnError.message}`, false);
      if (exited) {
        const addressInUse = /address already in use|BindException/i.test(output);
        throw new StartFailure(
          `DynamoDB Local exited before it was ready (code ${exited.code}, signal ${exited.signal}) on port ${port}:\n${output.trim()}`,
          addressInUse,
        );
      }
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) {
        throw new StartFailure(`DynamoDB Local did not answer on ${endpoint} in time. Output:\n${output.trim()}`, false);
      }
      await Promise.race([sleep(100), exitPromise]);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    probe.destroy();
  }
  return { endpoint, port, stop };
}
