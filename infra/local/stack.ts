/**
 * The whole local stack in one call. The adapter set is chosen here, and only here:
 *  - `embedded` (the default): SQLite + files + in-process jobs under DATA_DIR (infra/local/embedded.ts); no Java, no
 *    AWS SDK loaded;
 *  - `dynamodb` (`STORE=dynamodb`): the AWS set against DynamoDB Local + the S3 emulator + an emulator of the Lambda
 *    Invoke API running the job function — what the conformance suite and anyone who wants the emulators use.
 * Then: seed a fresh DATA_DIR, serve the route table and the web app on one port (HTTPS with `tls`, plus an optional
 * plain-http port that only redirects).
 * `npm start` uses it with a persistent DATA_DIR; integration tests use it on free ports with a temporary one.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Ports } from '../../functions/app/ports';
import { setPorts } from '../../functions/http/ports';
import { LocalIdentity, localKeys } from '../../functions/adapters/identity/local';
import type { LocalFileStore } from '../../functions/adapters/files/local-files';
import { freePort } from './ports';
import { seed, type SeedResult } from './seed';
import { checkTls, TlsConfigError, type TlsOptions } from './tls';

export type StoreKind = 'embedded' | 'dynamodb';

export interface LocalStackOptions {
  port?: number;
  host?: string;
  dataDir: string;
  /** Which adapter set; default: the STORE environment variable, else `embedded`. */
  store?: StoreKind;
  /** `dynamodb` only: keep DynamoDB in memory (tests); otherwise it persists under dataDir/dynamodb. */
  inMemory?: boolean;
  webRoot?: string;
  /** Seed a fresh DATA_DIR with demo records too (a census in progress): `npm start` does, test stacks do not. */
  demoRecords?: boolean;
  /**
   * Seed a fresh DATA_DIR with the demo geography too: township and village outlines, survey lists of several object
   * tables and assignments (infra/local/demo-geo.ts). `npm start` does; test stacks only when asked (lists change the
   * targets of the cells they cover).
   */
  demoGeo?: boolean;
  /** Progress callback for the start-up steps. */
  onStep?: (step: string) => void;
  /** Serve HTTPS on `port` with this certificate (PEM, chain after the leaf) and key (PEM); checked before anything starts. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** With `tls`: also listen for plain http on this port (0: a free one) and answer every request with a 308 to HTTPS. */
  httpRedirectPort?: number;
}

export interface LocalStack {
  /** http://host:port, or https://host:port with `tls`. */
  url: string;
  port: number;
  /** The plain-http port that redirects to `url` (with `tls` and `httpRedirectPort`). */
  redirectPort?: number;
  store: StoreKind;
  seed: SeedResult;
  /** Environment of the AWS set's clients (`dynamodb` only; empty for `embedded`). */
  env: Record<string, string>;
  /** The ports the server runs with. */
  ports: Ports;
  /** Background jobs: `idle()` waits for jobs in progress. */
  jobs: { idle(): Promise<void> };
  stop(): Promise<void>;
}

export const BUCKET = 'risk-census-files';
/** The job function's name in local mode (on AWS the stack passes the real name in JOB_FUNCTION). */
export const JOB_FUNCTION = 'risk-census-jobs';

export function storeFromEnv(value = process.env.STORE): StoreKind {
  if (value === undefined || value === '' || value === 'embedded' || value === 'sqlite') return 'embedded';
  if (value === 'dynamodb') return 'dynamodb';
  throw new Error(`STORE must be embedded (the default) or dynamodb, not ${value}`);
}

interface AdapterSet {
  ports: Ports;
  env: Record<string, string>;
  jobs: { idle(): Promise<void> };
  files?: LocalFileStore;
  /** After the server listens (embedded: resume interrupted jobs). */
  ready?: () => void;
}

async function startEmbedded(dataDir: string, step: (s: string) => void, stops: (() => Promise<void>)[]): Promise<AdapterSet> {
  step('database');
  // An upgrade that changes the schema first keeps a copy of the database as it was (DATA_DIR/backups/pre-migration-*).
  await (await import('./backup-core')).backupBeforeMigration(dataDir, { log: step });
  const { openEmbedded } = await import('./embedded');
  const e = openEmbedded(dataDir);
  stops.push(() => e.close());
  return {
    ports: e.ports,
    env: {},
    jobs: e.queue,
    files: e.files,
    ready: () => {
      const r = e.resume();
      if (r.resumed || r.failed) step(`background jobs from the last run: ${r.resumed} resumed, ${r.failed} marked failed`);
    },
  };
}

async function startDynamo(dataDir: string, inMemory: boolean, step: (s: string) => void, stops: (() => Promise<void>)[]): Promise<AdapterSet> {
  const [{ createTables }, { FAST_START_JVM_ARGS, startDynamoLocal, localDynamoClient }, { startLambdaLocal }, { startS3Local }, { portsFromEnv }] = await Promise.all([
    import('./bootstrap'),
    import('./dynamodb-local'),
    import('./lambda-local'),
    import('./s3-local'),
    import('../../functions/http/aws-ports'),
  ]);
  step('DynamoDB Local');
  const dbDir = join(dataDir, 'dynamodb');
  if (!inMemory) mkdirSync(dbDir, { recursive: true });
  // In-memory instances are short-lived test stacks: a quicker JVM start matters more than peak speed there.
  const dynamo = await startDynamoLocal({ port: 0, ...(inMemory ? { jvmArgs: FAST_START_JVM_ARGS } : { dbPath: dbDir }) });
  stops.push(() => dynamo.stop());

  step('S3 emulator');
  const s3 = await startS3Local({ port: 0, directory: join(dataDir, 's3'), bucket: BUCKET });
  stops.push(() => s3.stop());

  step('job runner');
  const { run } = await import('../../functions/http/handlers/jobs');
  const jobs = await startLambdaLocal({ functions: { [JOB_FUNCTION]: run } });
  // Stopped before storage (stops run in reverse), so jobs in progress can finish their writes.
  stops.push(() => jobs.stop());

  const env: Record<string, string> = {
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    S3_ENDPOINT: s3.endpoint,
    LAMBDA_ENDPOINT: jobs.endpoint,
    JOB_FUNCTION,
    BUCKET,
    TABLE_PREFIX: 'risk-census-',
  };
  Object.assign(process.env, env);
  step('tables');
  await createTables(localDynamoClient(dynamo.endpoint), env);
  // Local mode signs people in itself (the login records in the directory), whichever store holds them.
  const ports = portsFromEnv(env);
  ports.identity = new LocalIdentity(ports.directory);
  return { ports, env, jobs };
}

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const step = opts.onStep ?? (() => {});
  const dataDir = resolve(opts.dataDir);
  const store = opts.store ?? storeFromEnv();
  // A wrong certificate or port is reported before the store is opened or anything is seeded.
  const tls: TlsOptions | undefined = opts.tls;
  if (tls) checkTls(tls);
  if (opts.httpRedirectPort !== undefined) {
    if (!tls) throw new TlsConfigError('HTTP_PORT (the redirect to HTTPS) needs TLS_CERT and TLS_KEY: without TLS there is nothing to redirect to.');
    if (opts.httpRedirectPort !== 0 && opts.httpRedirectPort === opts.port) throw new TlsConfigError(`HTTP_PORT and PORT are both ${opts.port}: the redirect needs a port of its own.`);
  }
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    stops.length = 0;
  };
  try {
    const set = store === 'embedded' ? await startEmbedded(dataDir, step, stops) : await startDynamo(dataDir, opts.inMemory ?? false, step, stops);

    step('demo data');
    const seeded = await seed(set.ports);
    if (seeded.seeded && opts.demoRecords) {
      // Demo records only decorate a fresh demo district: if they cannot be made, say so and start anyway.
      try {
        const { seedDemoRecords } = await import('./demo-records');
        seeded.records = (await seedDemoRecords(set.ports)).records;
      } catch (e) {
        step(`demo records could not be created (${(e as Error).message}); the district starts without them`);
      }
    }

    if (seeded.seeded && opts.demoGeo) {
      const { seedDemoGeo } = await import('./demo-geo');
      await seedDemoGeo(set.ports, set.ports.now().toISOString());
      if (seeded.records) {
        // Demo records of object tables survey listed objects, as real ones would.
        const { linkDemoRecords } = await import('./demo-links');
        await linkDemoRecords(set.ports);
      }
    }

    setPorts(set.ports);
    // The login handler signs with the key pair it finds in LOCAL_KEYS_FILE; the server verifies with the same pair.
    process.env.LOCAL_KEYS_FILE = join(dataDir, 'keys', 'signing-key.json');
    const keys = await localKeys(process.env.LOCAL_KEYS_FILE);
    const port = opts.port ?? (await freePort());
    step('web server');
    const { startServer, startRedirectServer } = await import('./server');
    const server: Server | HttpsServer = await startServer({
      port,
      host: opts.host,
      keys,
      files: set.files,
      webRoot: opts.webRoot ?? resolve(import.meta.dirname, '../../web/build'),
      webConfig: { apiBase: '', authMode: 'local' },
      tls,
    });
    // Stopped first (stops run in reverse): no new requests while jobs finish and storage closes.
    stops.push(
      () =>
        new Promise<void>((res) => {
          server.closeAllConnections();
          server.close(() => res());
        }),
    );
    const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
    const urlHost = host.includes(':') ? `[${host}]` : host;
    let redirectPort: number | undefined;
    if (tls && opts.httpRedirectPort !== undefined) {
      step('http redirect');
      const redirect = await startRedirectServer({ port: opts.httpRedirectPort, host: opts.host, httpsPort: port, tls, fallbackHost: urlHost });
      stops.push(() => new Promise<void>((res) => redirect.close(() => res())));
      redirectPort = (redirect.address() as AddressInfo).port;
    }
    set.ready?.();
    return { url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`, port, ...(redirectPort !== undefined ? { redirectPort } : {}), store, seed: seeded, env: { ...set.env, LOCAL_KEYS_FILE: process.env.LOCAL_KEYS_FILE }, ports: set.ports, jobs: set.jobs, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
