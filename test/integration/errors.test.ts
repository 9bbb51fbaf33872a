/**
 * Every error status of the API contract provoked at least once, each answered as problem+json with a stable code,
 * and each leaving the stored data unchanged. No input produces a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ifMatch, login, newId, startTestStack, type Res, type TestStack } from '../support/stack';

const VILLAGE = '420999001001';
const OTHER_VILLAGE = '420999002001';

const shelter = {
  name: '青山公园应急避难场所',
  shelter_type: 'outdoor',
  hazards: ['earthquake', 'flood'],
  total_area: 12000,
  effective_area: 8000,
  capacity: 4000,
  location: { lat: 30.62, lng: 114.39 },
};

let stack: TestStack;
let staff: Client;
let reviewer: Client;
let admin: Client;
let id: string;

beforeAll(async () => {
  stack = await startTestStack();
  staff = await login(stack.url, 'staff-emergency');
  reviewer = await login(stack.url, 'reviewer-emergency');
  admin = await login(stack.url, 'admin');
  id = newId();
  const r = await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: shelter });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

function problem(r: Res, status: number, code?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body).toMatchObject({ status, title: expect.any(String), type: expect.any(String), code: expect.any(String) });
  if (code) expect(r.body.code).toBe(code);
  expect(JSON.stringify(r.body)).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
}

async function unchanged() {
  const r = await admin.get(`/api/submissions/${id}`);
  expect(r.body).toMatchObject({ version: 1, status: 'draft', data: shelter });
}

describe('error statuses', () => {
  it('401: no token, a forged token, wrong credentials', async () => {
    problem(await new Client(stack.url).get('/api/me'), 401, 'auth.required');
    problem(await new Client(stack.url, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.').get('/api/me'), 401, 'auth.invalid-token');
    const forged = staff.token!.split('.');
    forged[1] = Buffer.from(JSON.stringify({ sub: 'someone', iss: 'risk-census-local', aud: 'risk-census', exp: 9999999999 })).toString('base64url');
    problem(await new Client(stack.url, forged.join('.')).get('/api/me'), 401, 'auth.invalid-token');
    problem(await new Client(stack.url).post('/api/auth/login', { username: 'admin', password: 'wrong' }), 401, 'auth.bad-credentials');
    problem(await new Client(stack.url).post('/api/auth/login', { username: 'nobody', password: 'Census-2021!' }), 401, 'auth.bad-credentials');
  });

  it('401 comes before everything else', async () => {
    problem(await new Client(stack.url).req('PUT', `/api/submissions/${id}`, 'not json', { 'content-type': 'text/plain' }), 401);
  });

  it('415: a body that is not JSON', async () => {
    problem(await staff.req('PUT', `/api/submissions/${id}`, JSON.stringify({ formId: 'x' }), { 'content-type': 'text/plain' }), 415);
    await unchanged();
  });

  it('413: bodies over 256 KB, including a 6 MB one', async () => {
    const big = { formId: 'emergency.shelter', regionCode: VILLAGE, data: { ...shelter, name: 'x'.repeat(300 * 1024) } };
    problem(await staff.put(`/api/submissions/${id}`, big, ifMatch(1)), 413);
    problem(await staff.put(`/api/submissions/${id}`, { pad: 'y'.repeat(6 * 1024 * 1024) }, ifMatch(1)), 413);
    await unchanged();
  });

  it('400: malformed JSON, non-object bodies, unknown and privileged keys', async () => {
    problem(await staff.req('PUT', `/api/submissions/${id}`, '{"formId": ', { 'content-type': 'application/json', 'if-match': '"1"' }), 400, 'request.malformed');
    for (const body of ['[]', 'null', '42', '"text"']) {
      problem(await staff.req('PUT', `/api/submissions/${id}`, body, { 'content-type': 'application/json', 'if-match': '"1"' }), 400);
    }
    for (const key of ['status', 'sector', 'createdBy', 'version']) {
      const r = await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: shelter, [key]: 'approved' }, ifMatch(1));
      problem(r, 400, 'request.unknown-key');
      expect(r.body.errors[0].path).toBe(key);
    }
    problem(await staff.put(`/api/submissions/not-a-uuid`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: {} }), 400);
    problem(await staff.get('/api/submissions?limit=500'), 400);
    problem(await staff.get('/api/submissions?bogus=1'), 400);
    await unchanged();
  });

  it('403: writing outside the caller’s sector, region or role', async () => {
    problem(await staff.put(`/api/submissions/${newId()}`, { formId: 'housing.rural-house', regionCode: VILLAGE, data: {} }), 403);
    problem(await staff.put(`/api/submissions/${newId()}`, { formId: 'emergency.shelter', regionCode: OTHER_VILLAGE, data: {} }), 403);
    problem(await reviewer.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: shelter }, ifMatch(1)), 403);
    problem(await staff.put('/api/targets', { targets: [] }), 403);
    await unchanged();
  });

  it('404: unknown records, unknown routes, records outside the caller’s scope', async () => {
    problem(await staff.get(`/api/submissions/${newId()}`), 404);
    problem(await staff.get('/api/forms/emergency.nothing'), 404);
    problem(await staff.get('/api/forms/emergency.shelter/versions/99'), 404);
    problem(await staff.get('/api/no-such-thing'), 404);
    const other = await login(stack.url, 'staff-housing');
    problem(await other.get(`/api/submissions/${id}`), 404);
  });

  it('405: a method the path does not have', async () => {
    problem(await staff.req('DELETE', `/api/submissions/${id}`), 405);
  });

  it('409: a different body under a used id, formId/regionCode changes, an impossible transition', async () => {
    problem(await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: { ...shelter, capacity: 1 } }), 409);
    problem(await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: '420999001002', data: shelter }, ifMatch(1)), 409);
    problem(await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve' }, ifMatch(1)), 409, 'workflow.invalid-transition');
    await unchanged();
  });

  it('412: a stale If-Match; 428 without one on a status change', async () => {
    problem(await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: { ...shelter, capacity: 2 } }, ifMatch(7)), 412);
    problem(await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(7)), 412);
    problem(await staff.post(`/api/submissions/${id}/submit`), 428);
    await unchanged();
  });

  it('422: wrong types, unknown fields, coordinates out of range, failing rules', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...shelter, capacity: 'many' }, 'data.capacity'],
      [{ ...shelter, colour: 'red' }, 'data.colour'],
      [{ ...shelter, location: { lat: 95, lng: 114 } }, 'data.location'],
      [{ ...shelter, location: { lat: 30, lng: 190 } }, 'data.location'],
      [{ ...shelter, shelter_type: 'tent' }, 'data.shelter_type'],
    ];
    for (const [data, path] of cases) {
      const r = await staff.put(`/api/submissions/${id}`, { formId: 'emergency.shelter', regionCode: VILLAGE, data }, ifMatch(1));
      problem(r, 422, 'validation.failed');
      expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(r.body.errors[0].message).toMatchObject({ zh: expect.any(String), en: expect.any(String) });
    }
    const r = await staff.put(`/api/submissions/${newId()}?submit=true`, { formId: 'emergency.shelter', regionCode: VILLAGE, data: { ...shelter, effective_area: 20000 } });
    problem(r, 422);
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain('data.effective_area');
    problem(await staff.put(`/api/submissions/${newId()}`, { formId: 'emergency.shelter', regionCode: '420999001000', data: {} }), 422);
    await unchanged();
  });

  it('429: repeated failed logins are slowed down', async () => {
    const anon = new Client(stack.url);
    let last: Res | undefined;
    for (let i = 0; i < 12; i++) last = await anon.post('/api/auth/login', { username: 'viewer', password: `guess-${i}` });
    problem(last!, 429, 'rate.limited');
  });

  it('never answers bad input with a 5xx', async () => {
    const bodies = ['{', '{"a":1}', '{"formId":1,"regionCode":[],"data":"x"}', '{"formId":"emergency.shelter","regionCode":"420999001001","data":{"__proto__":{"x":1}}}',
      JSON.stringify({ formId: 'emergency.shelter', regionCode: VILLAGE, data: { hazards: [[['deep']]], location: { lat: null } } }),
      JSON.stringify({ formId: 'emergency.shelter', regionCode: VILLAGE, data: JSON.parse('['.repeat(200) + ']'.repeat(200)) }),
      '{"formId":"emergency.shelter","regionCode":"420999001001","data":{"name":"\\ud800"}}'];
    for (const b of bodies) {
      for (const path of [`/api/submissions/${newId()}`, `/api/submissions/${id}/review`, `/api/submissions/${id}/attachments`, '/api/targets']) {
        const method = path.endsWith(id) || path.includes('/api/submissions/') && !path.includes(id) ? 'PUT' : path === '/api/targets' ? 'PUT' : 'POST';
        const r = await admin.req(method, path, b, { 'content-type': 'application/json', 'if-match': '"1"' });
        expect(r.status, `${method} ${path} ${b.slice(0, 60)} → ${JSON.stringify(r.body)}`).toBeLessThan(500);
      }
    }
    for (const q of ['region=abc', 'region=999999000000', 'sector=x', 'region=420999001001&sector=forestry']) {
      expect((await admin.get(`/api/progress?${q}`)).status, q).toBeLessThan(500);
    }
    await unchanged();
  });
});
