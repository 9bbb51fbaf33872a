/**
 * Nothing lost, nothing counted twice: retried creates and submits (sequential and concurrent) leave one record and move
 * counters once; other content under a used id is 409; a stale If-Match is 412; 20 parallel clients doing ~200 mixed
 * operations end with counters exactly equal to a recount from the submissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ifMatch, login, newId, startTestStack, type TestStack } from '../support/stack';

const COUNTY = '420999000000';
const VILLAGES = ['420999001001', '420999001002', '420999001003'];

const house = (n: number) => ({
  householder: `张${n}`,
  floors: 1 + (n % 3),
  floor_area: 80 + n,
  year_built: 1990 + (n % 30),
  structure: 'masonry',
  strengthened: false,
  location: { lat: 30.6 + n / 10000, lng: 114.3 },
});

let stack: TestStack;
let staff: Client;
let admin: Client;

beforeAll(async () => {
  stack = await startTestStack();
  staff = await login(stack.url, 'staff-housing');
  admin = await login(stack.url, 'admin');
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

async function cell(regionCode: string) {
  const r = await admin.get(`/api/progress?region=${regionCode}&sector=housing`);
  for (const p of r.body.sectors[0].parts) for (const f of p.forms) if (f.formId === 'housing.rural-house') return f.total;
  throw new Error('no cell');
}

async function recount() {
  const r = await admin.post('/api/admin/reconcile', {});
  expect(r.status).toBe(200);
  return r.body;
}

describe('idempotency', () => {
  it('the same create sent twice in a row: one record, counters +1 once, the second answered as the first', async () => {
    const before = await cell(VILLAGES[0]!);
    const id = newId();
    const body = { formId: 'housing.rural-house', regionCode: VILLAGES[0], data: house(1) };
    const a = await staff.put(`/api/submissions/${id}`, body);
    const b = await staff.put(`/api/submissions/${id}`, body);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('etag')).toBe('"1"');
    expect((await cell(VILLAGES[0]!)).draft).toBe(before.draft + 1);
    const history = (await staff.get(`/api/submissions/${id}`)).body.history;
    expect(history.map((h: { action: string }) => h.action)).toEqual(['created']);
  });

  it('the same submit-on-create sent concurrently: one record, submitted counted once', async () => {
    const before = await cell(VILLAGES[1]!);
    const id = newId();
    const body = { formId: 'housing.rural-house', regionCode: VILLAGES[1], data: house(2) };
    const rs = await Promise.all(Array.from({ length: 6 }, () => staff.put(`/api/submissions/${id}?submit=true`, body)));
    for (const r of rs) {
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ id, status: 'submitted', version: 1 });
    }
    const after = await cell(VILLAGES[1]!);
    expect(after.submitted).toBe(before.submitted + 1);
    expect(after.draft).toBe(before.draft);
  });

  it('a retried submit (same If-Match) answers 200 with the current state and writes nothing', async () => {
    const id = newId();
    await staff.put(`/api/submissions/${id}`, { formId: 'housing.rural-house', regionCode: VILLAGES[2], data: house(3) });
    const before = await cell(VILLAGES[2]!);
    const [a, b] = await Promise.all([staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(1)), staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(1))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(1));
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: 'submitted', version: 2 });
    const after = await cell(VILLAGES[2]!);
    expect(after.submitted).toBe(before.submitted + 1);
    expect(after.draft).toBe(before.draft - 1);
    const history = (await staff.get(`/api/submissions/${id}`)).body.history;
    expect(history.filter((h: { action: string }) => h.action === 'submitted')).toHaveLength(1);
  });

  it('a retried update with a now-stale If-Match is answered as its success; a different one is 412', async () => {
    const id = newId();
    await staff.put(`/api/submissions/${id}`, { formId: 'housing.rural-house', regionCode: VILLAGES[0], data: house(4) });
    const upd = { formId: 'housing.rural-house', regionCode: VILLAGES[0], data: house(5) };
    const a = await staff.put(`/api/submissions/${id}`, upd, ifMatch(1));
    const b = await staff.put(`/api/submissions/${id}`, upd, ifMatch(1));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.version).toBe(2);
    const c = await staff.put(`/api/submissions/${id}`, { ...upd, data: house(6) }, ifMatch(1));
    expect(c.status).toBe(412);
    expect((await staff.get(`/api/submissions/${id}`)).body).toMatchObject({ version: 2, data: house(5) });
  });

  it('the same id with a different body is 409 and changes nothing', async () => {
    const id = newId();
    await staff.put(`/api/submissions/${id}`, { formId: 'housing.rural-house', regionCode: VILLAGES[0], data: house(7) });
    const r = await staff.put(`/api/submissions/${id}`, { formId: 'housing.rural-house', regionCode: VILLAGES[0], data: house(8) });
    expect(r.status).toBe(409);
    expect((await staff.get(`/api/submissions/${id}`)).body).toMatchObject({ version: 1, data: house(7) });
  });
});

describe('concurrency', () => {
  it('20 parallel clients, ~200 mixed operations: counters equal a recount exactly', async () => {
    const reviewer = await login(stack.url, 'reviewer-housing');
    let n = 100;
    const client = async (k: number) => {
      const ops: number[] = [];
      for (let i = 0; i < 3; i++) {
        const id = newId();
        const region = VILLAGES[(k + i) % VILLAGES.length]!;
        const body = { formId: 'housing.rural-house', regionCode: region, data: house(n++) };
        const created = await staff.put(`/api/submissions/${id}`, body);
        ops.push(created.status);
        // Retry noise: the same create again.
        ops.push((await staff.put(`/api/submissions/${id}`, body)).status);
        if (i === 2) continue; // leave some drafts
        const sub = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(1));
        ops.push(sub.status);
        const decision = (k + i) % 3 === 0 ? { decision: 'return', note: '照片不清晰' } : { decision: 'approve' };
        const rev = await reviewer.post(`/api/submissions/${id}/review`, decision, ifMatch(2));
        ops.push(rev.status);
        // A competing stale review loses cleanly.
        ops.push((await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve', note: 'late' }, ifMatch(2))).status);
      }
      return ops;
    };
    const results = (await Promise.all(Array.from({ length: 20 }, (_, k) => client(k)))).flat();
    expect(results.length).toBeGreaterThanOrEqual(200);
    expect(results.filter((s) => s >= 500)).toEqual([]);
    const report = await recount();
    expect(report.drift).toEqual([]);
    expect(report.submissions).toBeGreaterThanOrEqual(60);
    const total = (await admin.get(`/api/progress?region=${COUNTY}&sector=housing`)).body.total;
    const counted = { draft: 0, submitted: 0, returned: 0, approved: 0 };
    let cursor: string | null = null;
    do {
      const page: { body: { items: { status: keyof typeof counted }[]; nextCursor: string | null } } = await admin.get(
        `/api/submissions?formId=housing.rural-house&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const s of page.body.items) counted[s.status]++;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect({ draft: total.draft, submitted: total.submitted, returned: total.returned, approved: total.approved }).toEqual(counted);
  }, 120_000);
});
