/**
 * A local stack whose parts can be controlled one by one, for the benchmarks and the reliability suite: the same pieces as
 * infra/local/stack.ts (DynamoDB Local, S3 emulator, tables, demo seed, the HTTP server with the route table), but
 *  - DynamoDB Local on a fixed port, in memory or persistent (`persistent: true` → dataDir/dynamodb), with a choice of JVM
 *    options (full JIT for benchmarks, FAST_START_JVM_ARGS for tests), and `killDynamo()` / `startDynamo()` to kill it
 *    (SIGTERM while requests are in flight) and bring it back on the same port and files;
 *  - the S3 emulator on a fixed port with `stopS3()` / `startS3()` (same port, same directory);
 *  - the job runner (infra/local/lambda-local.ts) as in the local stack.
 * The HTTP server runs in this process and uses ports built from the stack's environment (getPorts() reaches them).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localKeys } from '../functions/adapters/identity/local';
import type { Ports } from '../functions/app/ports';
import { setPorts } from '../functions/http/ports';
import { portsFromEnv } from '../functions/http/aws-ports';
import { createTables } from '../infra/local/bootstrap';
import { localDynamoClient, startDynamoLocal, type DynamoLocal } from '../infra/local/dynamodb-local';
import { freePort } from '../infra/local/ports';
import { startLambdaLocal, type LambdaLocal } from '../infra/local/lambda-local';
import { startS3Local, type S3Local } from '../infra/local/s3-local';
import { JOB_FUNCTION } from '../infra/local/stack';
import { seed } from '../infra/local/seed';

export const BUCKET = 'risk-census-files';

export interface ControlledStackOptions {
  /** Where keys, S3 files and (when persistent) DynamoDB files live; a fresh temp dir when omitted (removed by close()). */
  dataDir?: string;
  /** Keep DynamoDB's data in files under dataDir/dynamodb, so it survives killDynamo()/startDynamo(). */
  persistent?: boolean;
  jvmArgs?: readonly string[];
  /** An S3 (emulator) endpoint already running elsewhere, with the bucket; stopS3/startS3 then do nothing. */
  s3Endpoint?: string;
  /** The built web app to serve (default: none, a placeholder page). */
  webRoot?: string;
  /** Replace the ports the server uses (e.g. instrumented stores); receives the default ones. */
  ports?: (defaults: Ports, env: Record<string, string>) => Ports;
}

export interface ControlledStack {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  keysFile: string;
  dynamoEndpoint: string;
  killDynamo(): Promise<void>;
  startDynamo(): Promise<void>;
  stopS3(): Promise<void>;
  startS3(): Promise<void>;
  close(): Promise<void>;
}

export async function startControlledStack(opts: ControlledStackOptions = {}): Promise<ControlledStack> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = resolve(opts.dataDir ?? mkdtempSync(join(tmpdir(), 'risk-census-stack-')));
  mkdirSync(dataDir, { recursive: true });
  const dynamoPort = await freePort();
  const s3Port = opts.s3Endpoint ? 0 : await freePort();
  const dbPath = opts.persistent ? join(dataDir, 'dynamodb') : undefined;

  let dynamo: DynamoLocal | undefined;
  let s3: S3Local | undefined;
  let server: Server | undefined;
  let jobs: LambdaLocal | undefined;
  const startDynamo = async () => {
    dynamo = await startDynamoLocal({ port: dynamoPort, ...(dbPath ? { dbPath } : {}), ...(opts.jvmArgs ? { jvmArgs: opts.jvmArgs } : {}) });
  };
  const startS3 = async () => {
    if (opts.s3Endpoint) return;
    s3 = await startS3Local({ port: s3Port, directory: join(dataDir, 's3'), bucket: BUCKET });
  };
  const close = async () => {
    if (server) {
      const s = server;
      server = undefined;
      await new Promise<void>((res) => {
        s.closeAllConnections();
        s.close(() => res());
      });
    }
    await jobs?.stop().catch(() => {});
    await s3?.stop().catch(() => {});
    await dynamo?.stop().catch(() => {});
    setPorts(undefined);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await Promise.all([startDynamo(), startS3()]);
    const { run } = await import('../functions/http/handlers/jobs');
    jobs = await startLambdaLocal({ functions: { [JOB_FUNCTION]: run } });
    const env: Record<string, string> = {
      LAMBDA_ENDPOINT: jobs.endpoint,
      JOB_FUNCTION,
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${dynamoPort}`,
      S3_ENDPOINT: opts.s3Endpoint ?? `http://127.0.0.1:${s3Port}`,
      BUCKET,
      TABLE_PREFIX: 'risk-census-',
      LOCAL_KEYS_FILE: join(dataDir, 'keys', 'signing-key.json'),
    };
    Object.assign(process.env, env);
    const raw = localDynamoClient(env.DYNAMODB_ENDPOINT!);
    await createTables(raw, env);
    raw.destroy();
    const defaults = portsFromEnv(env);
    await seed(defaults);
    setPorts(opts.ports ? opts.ports(defaults, env) : defaults);
    const keys = await localKeys(env.LOCAL_KEYS_FILE!);
    const port = await freePort();
    const { startServer } = await import('../infra/local/server');
    server = await startServer({ port, keys, webRoot: opts.webRoot ?? join(dataDir, 'no-web'), webConfig: { apiBase: '', authMode: 'local' } });
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      dataDir,
      env,
      keysFile: env.LOCAL_KEYS_FILE!,
      dynamoEndpoint: env.DYNAMODB_ENDPOINT!,
      killDynamo: async () => {
        await dynamo?.stop();
        dynamo = undefined;
      },
      startDynamo,
      stopS3: async () => {
        await s3?.stop();
        s3 = undefined;
      },
      startS3,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
