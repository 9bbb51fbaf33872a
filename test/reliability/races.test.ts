/**
 * Races (issue 8): two requests aimed at the same version of the same record, sent at the same moment, many rounds each.
 * Exactly one wins (2xx); the other gets 409 (the status no longer allows it) or 412 (stale If-Match); the record holds
 * the winner's result; the history gains one entry per real change; the counters equal a recount at the end.
 * A retry by the same user (same body, same If-Match) is not a race: it is answered as the first success, written once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, catalogForm } from '../../functions/domain/catalog/index';
import type { FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { Client, ifMatch, login, newId, startTestStack, type Res, type TestStack } from '../support/stack';

const FORM = 'housing.rural-house';
const VILLAGES = ['420999001001', '420999001002', '420999001003'];
const ROUNDS = 10;
const def = catalogForm(FORM) as FormDefinition;
const entry = CATALOG.find((e) => e.definition.id === FORM)!;

const answers = (n: number, region: string) => {
  const d = generateSample(def, entry.sample, { regionCode: region }) as Record<string, unknown>;
  delete d.photos;
  return { ...d, householder: `户主${n}`, floor_area: 80 + n };
};

let stack: TestStack;
let staff: Client;
let staff2: Client;
let reviewer: Client;
let admin: Client;
let n = 0;

beforeAll(async () => {
  stack = await startTestStack();
  [staff, staff2, reviewer, admin] = await Promise.all([
    login(stack.url, 'staff-housing'),
    login(stack.url, 'staff-housing'), // a second device of the same user: its own token
    login(stack.url, 'reviewer-housing'),
    login(stack.url, 'admin'),
  ]);
}, 180_000);
afterAll(async () => {
  await stack?.close();
});

/** A new record in `status` (draft, submitted or returned); returns its id, version and answers. */
async function make(status: 'draft' | 'submitted' | 'returned') {
  const id = newId();
  const region = VILLAGES[n % VILLAGES.length]!;
  const body = { formId: FORM, regionCode: region, data: answers(n++, region) };
  const r = await staff.put(`/api/submissions/${id}${status === 'draft' ? '' : '?submit=true'}`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  if (status !== 'returned') return { id, region, version: 1, body };
  const ret = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'return', note: '请补充' }, ifMatch(1));
  expect(ret.status).toBe(200);
  return { id, region, version: 2, body };
}

/** Both requests at once; the start order alternates between rounds. */
async function race(round: number, a: () => Promise<Res>, b: () => Promise<Res>): Promise<[Res, Res]> {
  if (round % 2) {
    const [y, x] = await Promise.all([b(), a()]);
    return [x, y];
  }
  return Promise.all([a(), b()]);
}

async function record(id: string) {
  const r = await admin.get(`/api/submissions/${id}`);
  expect(r.status).toBe(200);
  return r.body as { status: string; version: number; data: Record<string, unknown>; history: { action: string }[] };
}

const actions = (s: { history: { action: string }[] }) => s.history.map((h) => h.action);

function oneWinner(x: Res, y: Res): { winner: 'a' | 'b'; loser: Res } {
  const ok = [x, y].filter((r) => r.status < 300);
  expect(ok.length, `statuses ${x.status} ${y.status}: ${JSON.stringify([x.body, y.body]).slice(0, 400)}`).toBe(1);
  const loser = x.status < 300 ? y : x;
  expect([409, 412]).toContain(loser.status);
  expect(loser.headers.get('content-type')).toContain('application/problem+json');
  return { winner: x.status < 300 ? 'a' : 'b', loser };
}

describe('races: one winner, the other 409/412, one audit entry per real change', () => {
  it('approve vs edit of a submitted record: the approval wins, the edit is refused', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('submitted');
      const edit = { ...s.body, data: { ...s.body.data, householder: '改过的户主' } };
      const [approve, put] = await race(
        i,
        () => reviewer.post(`/api/submissions/${s.id}/review`, { decision: 'approve' }, ifMatch(1)),
        () => staff.put(`/api/submissions/${s.id}`, edit, ifMatch(1)),
      );
      expect(oneWinner(approve, put).winner).toBe('a');
      const after = await record(s.id);
      expect(after).toMatchObject({ status: 'approved', version: 2 });
      expect(after.data.householder).toBe(s.body.data.householder);
      expect(actions(after)).toEqual(['created', 'submitted', 'approved']);
    }
  });

  it('approve vs edit of a returned record: the edit wins, the approval is refused', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('returned');
      const edit = { ...s.body, data: { ...s.body.data, householder: '补充后的户主' } };
      const [approve, put] = await race(
        i,
        () => reviewer.post(`/api/submissions/${s.id}/review`, { decision: 'approve' }, ifMatch(2)),
        () => staff.put(`/api/submissions/${s.id}`, edit, ifMatch(2)),
      );
      expect(oneWinner(approve, put).winner).toBe('b');
      const after = await record(s.id);
      expect(after).toMatchObject({ status: 'returned', version: 3 });
      expect(after.data.householder).toBe('补充后的户主');
      expect(actions(after)).toEqual(['created', 'submitted', 'returned', 'updated']);
    }
  });

  it('approve vs return by two reviewers (reviewer and admin): one decision stands', async () => {
    const wins = { a: 0, b: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('submitted');
      const [approve, ret] = await race(
        i,
        () => reviewer.post(`/api/submissions/${s.id}/review`, { decision: 'approve' }, ifMatch(1)),
        () => admin.post(`/api/submissions/${s.id}/review`, { decision: 'return', note: '面积有误' }, ifMatch(1)),
      );
      const { winner } = oneWinner(approve, ret);
      wins[winner]++;
      const after = await record(s.id);
      const decided = winner === 'a' ? 'approved' : 'returned';
      expect(after).toMatchObject({ status: decided, version: 2 });
      expect(actions(after)).toEqual(['created', 'submitted', decided]);
    }
    expect(wins.a + wins.b).toBe(ROUNDS);
  });

  it('double submit by two users: one submission, the other 409/412', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('draft');
      const [a, b] = await race(
        i,
        () => staff.post(`/api/submissions/${s.id}/submit`, undefined, ifMatch(1)),
        () => admin.post(`/api/submissions/${s.id}/submit`, undefined, ifMatch(1)),
      );
      oneWinner(a, b);
      const after = await record(s.id);
      expect(after).toMatchObject({ status: 'submitted', version: 2 });
      expect(actions(after)).toEqual(['created', 'submitted']);
    }
  });

  it('double submit by the same user (a retry): both answered as the one success, written once', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('draft');
      const [a, b] = await race(
        i,
        () => staff.post(`/api/submissions/${s.id}/submit`, undefined, ifMatch(1)),
        () => staff2.post(`/api/submissions/${s.id}/submit`, undefined, ifMatch(1)),
      );
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body).toEqual(b.body);
      const after = await record(s.id);
      expect(after).toMatchObject({ status: 'submitted', version: 2 });
      expect(actions(after)).toEqual(['created', 'submitted']);
    }
  });

  it('two devices editing one draft with different answers: one edit stands, the other 412', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('draft');
      const bodyA = { ...s.body, data: { ...s.body.data, householder: '设备甲' } };
      const bodyB = { ...s.body, data: { ...s.body.data, householder: '设备乙', floors: 3 } };
      const [a, b] = await race(
        i,
        () => staff.put(`/api/submissions/${s.id}`, bodyA, ifMatch(1)),
        () => staff2.put(`/api/submissions/${s.id}`, bodyB, ifMatch(1)),
      );
      const { winner, loser } = oneWinner(a, b);
      expect(loser.status).toBe(412);
      const after = await record(s.id);
      expect(after).toMatchObject({ status: 'draft', version: 2 });
      expect(after.data.householder).toBe(winner === 'a' ? '设备甲' : '设备乙');
      expect(actions(after)).toEqual(['created', 'updated']);
    }
  });

  it('two devices saving-and-submitting one draft: one submission, the loser changes nothing', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const s = await make('draft');
      const bodyA = { ...s.body, data: { ...s.body.data, floors: 2 } };
      const bodyB = { ...s.body, data: { ...s.body.data, floors: 4 } };
      const [a, b] = await race(
        i,
        () => staff.put(`/api/submissions/${s.id}?submit=true`, bodyA, ifMatch(1)),
        () => admin.put(`/api/submissions/${s.id}?submit=true`, bodyB, ifMatch(1)),
      );
      const { winner } = oneWinner(a, b);
      const after = await record(s.id);
      expect(after).toMatchObject({ status: 'submitted', version: 2 });
      expect(after.data.floors).toBe(winner === 'a' ? 2 : 4);
      expect(actions(after)).toEqual(['created', 'updated', 'submitted']);
    }
  });

  it('after all the races the counters equal a recount', async () => {
    const r = await admin.post('/api/admin/reconcile', {});
    expect(r.status).toBe(200);
    expect(r.body.drift).toEqual([]);
    expect(r.body.submissions).toBe(7 * ROUNDS);
  });
});
