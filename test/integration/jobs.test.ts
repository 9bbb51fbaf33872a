/**
 * Background jobs as they run on AWS: the start routes hand a task to the job function by an asynchronous Lambda
 * invocation (the real @aws-sdk/client-lambda InvokeCommand), served locally by the Invoke API emulator
 * (infra/local/lambda-local.ts) that runs functions/http/handlers/jobs.ts.
 *  - the emulator keeps Lambda's contract (Event → 202 and runs later, RequestResponse → result or FunctionError,
 *    unknown function, malformed payload, too large);
 *  - the job function refuses malformed tasks, does nothing for a task that ran already, and fails a job whose
 *    member is gone;
 *  - a queue that cannot be reached answers 503 + Retry-After; a job whose worker died shows as failed.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaJobQueue } from '../../functions/adapters/jobs/lambda';
import type { ExportJob, ImportJob } from '../../functions/app/jobs';
import type { Ports } from '../../functions/app/ports';
import { setPorts } from '../../functions/http/ports';
import { functionNameOf, startLambdaLocal, type LambdaLocal } from '../../infra/local/lambda-local';
import { JOB_FUNCTION } from '../../infra/local/stack';
import { freePort } from '../../infra/local/ports';
import { login, startTestStack, type Client, type TestStack } from '../support/stack';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const dec = (b?: Uint8Array) => (b?.length ? JSON.parse(new TextDecoder().decode(b)) : undefined);
const lambdaAt = (endpoint: string) => new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });

describe('the Lambda Invoke emulator', () => {
  let emulator: LambdaLocal;
  let client: LambdaClient;
  const seen: unknown[] = [];
  let release: () => void = () => {};
  beforeAll(async () => {
    emulator = await startLambdaLocal({
      functions: {
        echo: async (e) => ({ echoed: e }),
        fails: async () => {
          throw new RangeError('no such thing');
        },
        slow: async (e) => {
          await new Promise<void>((r) => (release = r));
          seen.push(e);
        },
      },
    });
    client = lambdaAt(emulator.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop(1000);
  });

  it('answers an Event invocation with 202 at once and runs the function afterwards with the payload', async () => {
    const r = await client.send(new InvokeCommand({ FunctionName: 'slow', InvocationType: 'Event', Payload: enc({ job: 'export', n: 1 }) }));
    expect(r.StatusCode).toBe(202);
    expect(seen).toEqual([]);
    expect(emulator.pending()).toBe(1);
    release();
    await emulator.idle();
    expect(seen).toEqual([{ job: 'export', n: 1 }]);
    expect(emulator.pending()).toBe(0);
  });

  it('answers RequestResponse with the result, or with FunctionError and the message when the function throws', async () => {
    const ok = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: enc({ a: [1, '二'] }) }));
    expect(ok.StatusCode).toBe(200);
    expect(ok.FunctionError).toBeUndefined();
    expect(dec(ok.Payload)).toEqual({ echoed: { a: [1, '二'] } });
    const bad = await client.send(new InvokeCommand({ FunctionName: 'fails', Payload: enc({}) }));
    expect(bad.FunctionError).toBe('Unhandled');
    expect(dec(bad.Payload)).toEqual({ errorType: 'RangeError', errorMessage: 'no such thing' });
  });

  it('accepts a function ARN, and refuses unknown functions, payloads that are not JSON and payloads over the limit', async () => {
    expect(functionNameOf('arn:aws:lambda:cn-north-1:123456789012:function:echo:$LATEST')).toBe('echo');
    const byArn = await client.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo', Payload: enc(1) }));
    expect(dec(byArn.Payload)).toEqual({ echoed: 1 });
    await expect(client.send(new InvokeCommand({ FunctionName: 'nobody', InvocationType: 'Event', Payload: enc({}) }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(client.send(new InvokeCommand({ FunctionName: 'echo', Payload: enc('{not json') }))).rejects.toMatchObject({ name: 'InvalidRequestContentException' });
    await expect(client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: enc('x'.repeat(1024 * 1024 + 10)) }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 413 },
    });
    expect(emulator.pending()).toBe(0);
  });
});

describe('jobs through the local stack on the AWS set (the job function behind the Invoke emulator)', () => {
  let stack: TestStack;
  let admin: Client;
  let adminId: string;
  let ports: Ports;
  let lambda: LambdaClient;
  beforeAll(async () => {
    stack = await startTestStack({ store: 'dynamodb' });
    admin = await login(stack.url, 'admin');
    adminId = (await admin.get('/api/me')).body.userId;
    ports = stack.ports;
    lambda = lambdaAt(stack.env.LAMBDA_ENDPOINT!);
  }, 120_000);
  afterAll(async () => {
    lambda?.destroy();
    await stack?.close();
  });

  const invoke = async (payload: unknown) => {
    const r = await lambda.send(new InvokeCommand({ FunctionName: JOB_FUNCTION, Payload: enc(payload) }));
    return { error: r.FunctionError, body: dec(r.Payload) };
  };

  it('runs an export started over HTTP in the job function, and a repeated task changes nothing', async () => {
    const start = await admin.post('/api/exports', { formId: 'housing.rural-house', format: 'csv' });
    expect(start.status).toBe(202);
    await stack.jobs.idle();
    const done = await admin.get(`/api/exports/${start.body.id}`);
    expect(done.body).toMatchObject({ status: 'done', url: expect.stringMatching(/^http/) });
    const before = await ports.directory.getJob<ExportJob>('export', start.body.id);
    const again = await invoke({ job: 'export', id: start.body.id, userId: adminId });
    expect(again).toEqual({ error: undefined, body: { ok: true } });
    expect(await ports.directory.getJob<ExportJob>('export', start.body.id)).toEqual(before);
  });

  it('refuses a malformed task before touching anything', async () => {
    for (const [task, message] of [
      [{ job: 'export', id: 'x' }, 'userId is the member the job runs as'],
      [{ job: 'drop-tables', id: 'x', userId: adminId }, 'job is one of export, validate-import, commit-import, validate-member-import, commit-member-import'],
      [{ job: 'export', id: 'x', userId: adminId, region: '1' }, 'Unknown key region in a job task'],
      [[1, 2], 'A job task is an object { job, id, userId }'],
    ] as const) {
      const r = await invoke(task);
      expect(r.error).toBe('Unhandled');
      expect(r.body.errorMessage).toBe(message);
    }
  });

  it('fails a job whose member is gone, and leaves a finished job of a gone member alone', async () => {
    const now = new Date().toISOString();
    const job: ExportJob = {
      kind: 'export', id: 'ghost-export', createdBy: 'no-such-member', createdAt: now, updatedAt: now,
      formId: 'housing.rural-house', format: 'csv', region: null, status: null, state: 'running', rows: 0, key: 'exports/ghost-export.csv', fileName: 'x.csv',
    };
    await ports.directory.putJob(job, Math.floor(Date.now() / 1000) + 3600);
    await ports.directory.putJob({ ...job, id: 'ghost-done', state: 'done', rows: 7 } as ExportJob, Math.floor(Date.now() / 1000) + 3600);
    expect((await invoke({ job: 'export', id: 'ghost-export', userId: 'no-such-member' })).error).toBeUndefined();
    expect(await ports.directory.getJob<ExportJob>('export', 'ghost-export')).toMatchObject({ state: 'failed', error: expect.stringMatching(/no longer a member/) });
    expect(await ports.files.exists('exports/ghost-export.csv')).toBe(false);
    await invoke({ job: 'export', id: 'ghost-done', userId: 'no-such-member' });
    expect(await ports.directory.getJob<ExportJob>('export', 'ghost-done')).toMatchObject({ state: 'done', rows: 7 });
  });

  it('shows a running job whose worker stopped without a word as failed after five minutes without progress', async () => {
    const old = new Date(Date.now() - 6 * 60_000).toISOString();
    const fresh = new Date().toISOString();
    const exp = (id: string, updatedAt: string): ExportJob => ({
      kind: 'export', id, createdBy: adminId, createdAt: old, updatedAt,
      formId: 'housing.rural-house', format: 'csv', region: null, status: null, state: 'running', rows: 10, key: `exports/${id}.csv`, fileName: 'x.csv',
    });
    await ports.directory.putJob(exp('stalled-export', old), Math.floor(Date.now() / 1000) + 3600);
    await ports.directory.putJob(exp('busy-export', fresh), Math.floor(Date.now() / 1000) + 3600);
    const stalled = await admin.get('/api/exports/stalled-export');
    expect(stalled.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/stopped without finishing/) });
    expect((await admin.get('/api/exports/busy-export')).body).toMatchObject({ status: 'running', rows: 10 });
    expect((await admin.get('/api/exports/busy-export')).body.error).toBeUndefined();

    const imp: ImportJob = {
      kind: 'import', id: 'stalled-import', createdBy: adminId, createdAt: old, updatedAt: old, formId: 'housing.rural-house', format: 'csv',
      fileName: 'a.csv', sourceKey: 'imports/x/source.csv', key: 'name:a.csv', submit: true, state: 'committing', total: 3, valid: 3, invalid: 0,
      done: 1, phaseTotal: 3, ignoredColumns: [], errorCount: 0, errors: [],
    };
    await ports.directory.putJob(imp, Math.floor(Date.now() / 1000) + 3600);
    expect((await admin.get('/api/imports/stalled-import')).body).toMatchObject({ state: 'failed', status: 'failed', error: expect.stringMatching(/stopped without finishing/) });
  });

  it('answers 503 with Retry-After when the job queue cannot be reached; once it is back the same request works', async () => {
    const live = stack.ports;
    const dead = `http://127.0.0.1:${await freePort()}`;
    setPorts({ ...live, jobs: new LambdaJobQueue(JOB_FUNCTION, { LAMBDA_ENDPOINT: dead }) });
    try {
      const r = await admin.post('/api/exports', { formId: 'housing.rural-house', format: 'csv' });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    } finally {
      setPorts(live);
    }
    // The queue is back: the same request works.
    const ok = await admin.post('/api/exports', { formId: 'housing.rural-house', format: 'csv' });
    expect(ok.status).toBe(202);
    await stack.jobs.idle();
    expect((await admin.get(`/api/exports/${ok.body.id}`)).body.status).toBe('done');
  });
});
