/**
 * Faults (issue 8), on a stack whose parts can be stopped (bench/stack.ts): DynamoDB Local persistent on disk on a fixed
 * port, the S3 emulator on a fixed port.
 *  - Throttling injected through SDK middleware (functions/adapters/dynamo/client.ts `injectDynamoFaults`): a throttle that
 *    outlasts the SDK's retries → 503 + Retry-After and nothing written; a brief one is absorbed by the SDK's retries.
 *  - S3 down during an upload: the submission cannot be submitted (503 while S3 is unreachable, 422 attachment.missing
 *    once it is back but the file never arrived), nothing half-written; once uploaded, submit works.
 *  - DynamoDB Local killed (SIGTERM, mid-burst) and restarted during a burst of submissions whose clients retry (5xx,
 *    network errors, honouring Retry-After): every submission exists exactly once, the API never answered 500, counters
 *    equal a recount. Why not SIGKILL: DynamoDB Local itself can lose the transaction it acknowledged last when it is
 *    SIGKILLed (reproduced with the raw SDK and no app code: 1 of 91 and 1 of 117 acknowledged TransactWriteItems missing
 *    after the restart, atomically — items and counter both absent). DynamoDB acknowledges only durable writes, so that
 *    would test the emulator, not us.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { injectDynamoFaults, injectedDynamoFaults } from '../../functions/adapters/dynamo/client';
import { CATALOG, catalogForm } from '../../functions/domain/catalog/index';
import type { FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { FAST_START_JVM_ARGS } from '../../infra/local/dynamodb-local';
import { startControlledStack, type ControlledStack } from '../../bench/stack';
import { Client, ifMatch, login, newId, PHOTO_BYTES, type Res } from '../support/stack';

const HOUSE = 'housing.rural-house';
const SHELTER = 'emergency.shelter';
const COUNTY = '420999000000';
const VILLAGES = ['420999001001', '420999001002', '420999001003'];

function sample(formId: string, region: string, n: number): Record<string, unknown> {
  const def = catalogForm(formId) as FormDefinition;
  const entry = CATALOG.find((e) => e.definition.id === formId)!;
  const d = generateSample(def, entry.sample, { regionCode: region }) as Record<string, unknown>;
  delete d.photos;
  return formId === HOUSE ? { ...d, householder: `户主${n}` } : { ...d, name: `避难场所${n}` };
}

let stack: ControlledStack;
let staff: Client;
let shelterStaff: Client;
let reviewer: Client;
let admin: Client;

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  stack = await startControlledStack({ persistent: true, jvmArgs: FAST_START_JVM_ARGS });
  [staff, shelterStaff, reviewer, admin] = await Promise.all([
    login(stack.url, 'staff-housing'),
    login(stack.url, 'staff-emergency'),
    login(stack.url, 'reviewer-housing'),
    login(stack.url, 'admin'),
  ]);
}, 180_000);
afterAll(async () => {
  injectDynamoFaults(undefined);
  await stack?.close();
});

async function recount() {
  const r = await admin.post('/api/admin/reconcile', {});
  expect(r.status).toBe(200);
  return r.body as { submissions: number; drift: unknown[] };
}

async function counters() {
  return (await admin.get(`/api/progress?region=${COUNTY}`)).body.total;
}

function expectUnavailable(r: Res) {
  expect(r.status, JSON.stringify(r.body)).toBe(503);
  expect(r.body.code).toBe('service.unavailable');
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('throttling injected through SDK middleware', () => {
  it('a throttled transaction that outlasts the SDK retries → 503 + Retry-After, nothing written; the retry writes once', async () => {
    const id = newId();
    const body = { formId: HOUSE, regionCode: VILLAGES[0], data: sample(HOUSE, VILLAGES[0]!, 1) };
    const before = await counters();
    injectDynamoFaults({ error: 'ThrottlingException', count: 100, commands: ['TransactWriteItems'] });
    const r = await staff.put(`/api/submissions/${id}?submit=true`, body);
    const injected = injectedDynamoFaults();
    injectDynamoFaults(undefined);
    expectUnavailable(r);
    expect(injected).toBe(4); // the SDK tried 4 times (maxAttempts) before giving up
    expect((await admin.get(`/api/submissions/${id}`)).status).toBe(404);
    expect(await counters()).toEqual(before);

    const retry = await staff.put(`/api/submissions/${id}?submit=true`, body);
    expect(retry.status).toBe(201);
    const s = (await admin.get(`/api/submissions/${id}`)).body;
    expect(s.history.map((h: { action: string }) => h.action)).toEqual(['created', 'submitted']);
    expect((await counters()).submitted).toBe(before.submitted + 1);
  });

  it('a brief throttle is absorbed by the SDK retries: one write', async () => {
    const id = newId();
    injectDynamoFaults({ error: 'ProvisionedThroughputExceededException', count: 2, commands: ['TransactWriteItems'] });
    const r = await staff.put(`/api/submissions/${id}`, { formId: HOUSE, regionCode: VILLAGES[1], data: sample(HOUSE, VILLAGES[1]!, 2) });
    expect(injectedDynamoFaults()).toBe(2);
    injectDynamoFaults(undefined);
    expect(r.status).toBe(201);
    expect((await admin.get(`/api/submissions/${id}`)).body.history).toHaveLength(1);
  });

  it('a transaction cancelled for throttling (update, review) → 503, version and status unchanged', async () => {
    const id = newId();
    const body = { formId: HOUSE, regionCode: VILLAGES[2], data: sample(HOUSE, VILLAGES[2]!, 3) };
    expect((await staff.put(`/api/submissions/${id}?submit=true`, body)).status).toBe(201);
    const before = await counters();

    injectDynamoFaults({ error: 'TransactionThrottled', count: 1, commands: ['TransactWriteItems'] });
    expectUnavailable(await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve' }, ifMatch(1)));
    injectDynamoFaults(undefined);
    let s = (await admin.get(`/api/submissions/${id}`)).body;
    expect(s).toMatchObject({ status: 'submitted', version: 1 });
    expect(s.history).toHaveLength(2);
    expect(await counters()).toEqual(before);

    const ok = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve' }, ifMatch(1));
    expect(ok.status).toBe(200);
    s = (await admin.get(`/api/submissions/${id}`)).body;
    expect(s).toMatchObject({ status: 'approved', version: 2 });
    expect(s.history.map((h: { action: string }) => h.action)).toEqual(['created', 'submitted', 'approved']);
  });

  it('a throttled read (the pre-read of an update) → 503, nothing written', async () => {
    const id = newId();
    const body = { formId: HOUSE, regionCode: VILLAGES[0], data: sample(HOUSE, VILLAGES[0]!, 4) };
    expect((await staff.put(`/api/submissions/${id}`, body)).status).toBe(201);
    injectDynamoFaults({ error: 'ProvisionedThroughputExceededException', count: 100, commands: ['GetItem'] });
    const r = await staff.put(`/api/submissions/${id}`, { ...body, data: { ...body.data, floors: 5 } }, ifMatch(1));
    injectDynamoFaults(undefined);
    expectUnavailable(r);
    expect((await admin.get(`/api/submissions/${id}`)).body).toMatchObject({ version: 1, data: { floors: body.data.floors } });
    expect((await recount()).drift).toEqual([]);
  });
});

describe('S3 unavailable during an upload', () => {
  it('the submission stays unsubmittable with a clear error and nothing half-written, until the file is really there', async () => {
    const id = newId();
    const region = VILLAGES[0]!;
    const data = sample(SHELTER, region, 5);
    expect((await shelterStaff.put(`/api/submissions/${id}`, { formId: SHELTER, regionCode: region, data })).status).toBe(201);
    const grant = await shelterStaff.post(`/api/submissions/${id}/attachments`, { field: 'photos', contentType: 'image/jpeg', size: PHOTO_BYTES.length, fileName: 'a.jpg' });
    expect(grant.status).toBe(201);
    const upload = () => {
      const form = new FormData();
      for (const [k, v] of Object.entries(grant.body.upload.fields as Record<string, string>)) form.append(k, v);
      form.append('file', new Blob([PHOTO_BYTES], { type: 'image/jpeg' }), 'a.jpg');
      return fetch(grant.body.upload.url, { method: 'POST', body: form });
    };
    const withPhoto = { formId: SHELTER, regionCode: region, data: { ...data, photos: [grant.body.attachmentId] } };
    const before = await counters();

    await stack.stopS3();
    try {
      await expect(upload()).rejects.toThrow(); // the browser's upload fails: connection refused
      expectUnavailable(await shelterStaff.put(`/api/submissions/${id}?submit=true`, withPhoto, ifMatch(1)));
      // A draft save referencing the photo does not need S3 (existence is checked at submit).
      const saved = await shelterStaff.put(`/api/submissions/${id}`, withPhoto, ifMatch(1));
      expect(saved.status).toBe(200);
      expectUnavailable(await shelterStaff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(2)));
      expect((await admin.get(`/api/submissions/${id}`)).body).toMatchObject({ status: 'draft', version: 2 });
    } finally {
      await stack.startS3();
    }
    const missing = await shelterStaff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(2));
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe('attachment.missing');
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['data.photos[0]']);
    expect(await counters()).toEqual(before);

    expect((await upload()).status).toBeLessThan(300);
    const ok = await shelterStaff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(2));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const s = (await admin.get(`/api/submissions/${id}`)).body;
    expect(s.history.map((h: { action: string }) => h.action)).toEqual(['created', 'updated', 'submitted']);
    expect((await recount()).drift).toEqual([]);
  });
});

describe('DynamoDB Local killed and restarted during a burst', () => {
  it('every submission lands exactly once, no 500, counters equal a recount', async () => {
    const N = 48;
    const WORKERS = 6;
    const baseline = (await recount()).submissions;
    const jobs = Array.from({ length: N }, (_, i) => {
      const region = VILLAGES[i % VILLAGES.length]!;
      return { id: newId(), body: { formId: HOUSE, regionCode: region, data: sample(HOUSE, region, 100 + i) } };
    });
    const statuses = new Map<number | string, number>();
    const note = (k: number | string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
    let done = 0;
    const deadline = Date.now() + 90_000;

    /** A client that retries until it gets its success (or a non-retryable answer), as the offline sync does. */
    const send = async (job: (typeof jobs)[number]) => {
      for (let attempt = 0; ; attempt++) {
        let r: Res | undefined;
        try {
          r = await staff.put(`/api/submissions/${job.id}?submit=true`, job.body);
          note(r.status);
        } catch (e) {
          note('network');
        }
        if (r && r.status < 500) return r;
        if (Date.now() > deadline) throw new Error(`gave up on ${job.id}`);
        const wait = Number(r?.headers.get('retry-after') ?? 0) * 1000 || 200;
        await new Promise((res) => setTimeout(res, Math.min(wait, 1000) * (0.5 + Math.random())));
      }
    };
    let next = 0;
    const worker = async () => {
      const out: Res[] = [];
      while (next < jobs.length) {
        const job = jobs[next++]!;
        out.push(await send(job));
        done++;
        await new Promise((res) => setTimeout(res, 20));
      }
      return out;
    };

    const chaos = (async () => {
      while (done < N / 4) await new Promise((res) => setTimeout(res, 10));
      await stack.killDynamo();
      await new Promise((res) => setTimeout(res, 500));
      await stack.startDynamo();
    })();
    const results = (await Promise.all([...Array.from({ length: WORKERS }, worker), chaos]).then((all) => all.slice(0, WORKERS).flat())) as Res[];

    expect(results).toHaveLength(N);
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(statuses.get(500) ?? 0).toBe(0);
    // The fault really happened: some requests were answered 503 (or could not complete) while DynamoDB was down.
    expect((statuses.get(503) ?? 0) + (statuses.get('network') ?? 0)).toBeGreaterThan(0);

    for (const job of jobs) {
      const g = await admin.get(`/api/submissions/${job.id}`);
      expect(g.status, `${job.id}: ${JSON.stringify(g.body)} after ${JSON.stringify([...statuses])}`).toBe(200);
      const s = g.body;
      expect(s).toMatchObject({ status: 'submitted', version: 1 });
      expect(s.history.map((h: { action: string }) => h.action)).toEqual(['created', 'submitted']);
    }
    const after = await recount();
    expect(after.drift).toEqual([]);
    expect(after.submissions).toBe(baseline + N);
  }, 150_000);
});
