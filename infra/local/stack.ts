/**
 * The whole local stack in one call: DynamoDB Local + S3 emulator + tables + seed + the job runner (an emulator of the
 * Lambda Invoke API running functions/http/handlers/jobs.ts) + the HTTP server.
 * `npm start` uses it with a persistent DATA_DIR; integration tests use it in memory on free ports.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { portsFromEnv, setPorts } from '../../functions/http/ports';
import { localKeys } from '../../functions/adapters/identity/local';
import { createTables } from './bootstrap';
import { FAST_START_JVM_ARGS, startDynamoLocal, localDynamoClient } from './dynamodb-local';
import { startLambdaLocal, type LambdaLocal } from './lambda-local';
import { startS3Local } from './s3-local';
import { freePort } from './ports';
import { seed, type SeedResult } from './seed';

export interface LocalStackOptions {
  port?: number;
  host?: string;
  dataDir: string;
  /** Keep DynamoDB in memory (tests); otherwise it persists under dataDir/dynamodb. */
  inMemory?: boolean;
  webRoot?: string;
  /** Progress callback for the start-up steps. */
  onStep?: (step: string) => void;
}

export interface LocalStack {
  url: string;
  port: number;
  seed: SeedResult;
  env: Record<string, string>;
  /** The job runner: `idle()` waits for background jobs in progress. */
  jobs: LambdaLocal;
  stop(): Promise<void>;
}

export const BUCKET = 'risk-census-files';
/** The job function's name in local mode (on AWS the stack passes the real name in JOB_FUNCTION). */
export const JOB_FUNCTION = 'risk-census-jobs';

export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const step = opts.onStep ?? (() => {});
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    step('DynamoDB Local');
    const dbDir = join(dataDir, 'dynamodb');
    if (!opts.inMemory) mkdirSync(dbDir, { recursive: true });
    // In-memory instances are short-lived test stacks: a quicker JVM start matters more than peak speed there.
    const dynamo = await startDynamoLocal({ port: 0, ...(opts.inMemory ? { jvmArgs: FAST_START_JVM_ARGS } : { dbPath: dbDir }) });
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
      LOCAL_KEYS_FILE: join(dataDir, 'keys', 'signing-key.json'),
    };
    Object.assign(process.env, env);

    step('tables');
    const raw = localDynamoClient(dynamo.endpoint);
    await createTables(raw, env);
    const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });

    step('demo data');
    const seeded = await seed(doc, env);

    setPorts(portsFromEnv(env));
    const keys = await localKeys(env.LOCAL_KEYS_FILE!);
    const port = opts.port ?? (await freePort());
    step('web server');
    const { startServer } = await import('./server');
    const server: Server = await startServer({
      port,
      host: opts.host,
      keys,
      webRoot: opts.webRoot ?? resolve(import.meta.dirname, '../../web/build'),
      webConfig: { apiBase: '', authMode: 'local' },
    });
    stops.push(
      () =>
        new Promise<void>((res) => {
          server.closeAllConnections();
          server.close(() => res());
        }),
    );
    const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
    return { url: `http://${host}:${port}`, port, seed: seeded, env, jobs, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
