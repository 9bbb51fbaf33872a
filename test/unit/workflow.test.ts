import { describe, expect, it } from 'vitest';
import { DomainError } from '../../functions/domain/errors';
import type { Principal } from '../../functions/domain/principal';
import {
  ACTIONS,
  allowedActions,
  nextStatus,
  STATUSES,
  transition,
  TRANSITIONS,
  type Action,
  type Status,
  type WorkflowSubject,
} from '../../functions/domain/workflow';

const COUNTY = '420102000000';
const T1 = '420102001000';
const V1 = '420102001001';
const T2 = '420102002000';

const PRINCIPALS = {
  admin: { userId: 'u-admin', role: 'admin', sector: null, regions: [] },
  'reviewer-same': { userId: 'u-rs', role: 'reviewer', sector: 'emergency', regions: [COUNTY] },
  'reviewer-other-sector': { userId: 'u-ro', role: 'reviewer', sector: 'housing', regions: [COUNTY] },
  'reviewer-other-region': { userId: 'u-rr', role: 'reviewer', sector: 'emergency', regions: [T2] },
  'staff-same': { userId: 'u-ss', role: 'staff', sector: 'emergency', regions: [T1] },
  'staff-other-sector': { userId: 'u-so', role: 'staff', sector: 'housing', regions: [T1] },
  'staff-other-region': { userId: 'u-sr', role: 'staff', sector: 'emergency', regions: [T2] },
  viewer: { userId: 'u-v', role: 'viewer', sector: null, regions: [COUNTY] },
} satisfies Record<string, Principal>;
type Who = keyof typeof PRINCIPALS;

/** The oracle, written out independently of TRANSITIONS: which status each action leads to, from where. */
const EDGES: Record<Action, Partial<Record<Status | 'none', Status>>> = {
  create: { none: 'draft' },
  update: { draft: 'draft', returned: 'returned' },
  submit: { draft: 'submitted', returned: 'submitted' },
  approve: { submitted: 'approved' },
  return: { submitted: 'returned' },
  reopen: { approved: 'returned' },
  void: { draft: 'voided', submitted: 'voided', approved: 'voided', returned: 'voided' },
};
/** Who may take each action on an emergency submission in village V1. */
const WHO: Record<Action, Who[]> = {
  create: ['admin', 'staff-same'],
  update: ['admin', 'staff-same'],
  submit: ['admin', 'staff-same'],
  approve: ['admin', 'reviewer-same'],
  return: ['admin', 'reviewer-same'],
  reopen: ['admin'],
  void: ['admin'],
};
const EVENTS: Record<Action, string> = {
  create: 'submission.created',
  update: 'submission.updated',
  submit: 'submission.submitted',
  approve: 'submission.approved',
  return: 'submission.returned',
  reopen: 'submission.reopened',
  void: 'submission.voided',
};

const sub = (status: Status | null): WorkflowSubject => ({ status, sector: 'emergency', regionCode: V1, createdBy: 'someone-else' });

function errorOf(f: () => unknown): DomainError {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const FROMS: (Status | null)[] = [null, ...STATUSES];

describe('workflow: every action × every status × every kind of principal', () => {
  const cases: [Action, Status | null, Who][] = [];
  for (const action of ACTIONS) for (const from of FROMS) for (const who of Object.keys(PRINCIPALS) as Who[]) cases.push([action, from, who]);

  it('covers 7 actions × 6 starting points (5 statuses and not-yet-created) × 8 principals', () => {
    expect(ACTIONS).toHaveLength(7);
    expect(STATUSES).toHaveLength(5);
    expect(cases).toHaveLength(7 * 6 * 8);
  });

  it.each(cases)('%s from %s by %s', (action, from, who) => {
    const principal = PRINCIPALS[who];
    const to = EDGES[action][from ?? 'none'];
    const run = () => transition(sub(from), action, principal, { note: '数据有误，请核实' });
    if (!WHO[action].includes(who)) {
      expect(errorOf(run).code).toBe('access.forbidden');
      expect(errorOf(run).status).toBe(403);
    } else if (!to) {
      expect(errorOf(run).code).toBe('workflow.invalid-transition');
      expect(errorOf(run).status).toBe(409);
    } else {
      expect(run()).toEqual({ from, to, action, event: EVENTS[action], history: EVENTS[action].slice('submission.'.length) });
    }
  });

  it.each(cases)('allowedActions agrees with transition: %s from %s by %s', (action, from, who) => {
    const allowed = WHO[action].includes(who) && EDGES[action][from ?? 'none'] !== undefined;
    expect(allowedActions(sub(from), PRINCIPALS[who]).includes(action)).toBe(allowed);
  });
});

describe('workflow rules in detail', () => {
  it('staff may edit and submit a record another staff member of the same sector and region created', () => {
    const s = { ...sub('draft'), createdBy: 'colleague' };
    expect(transition(s, 'update', PRINCIPALS['staff-same']).to).toBe('draft');
    expect(transition(s, 'submit', PRINCIPALS['staff-same']).to).toBe('submitted');
  });

  it('a returned submission stays returned when edited and goes back to submitted on submit', () => {
    expect(transition(sub('returned'), 'update', PRINCIPALS['staff-same'])).toMatchObject({ from: 'returned', to: 'returned', event: 'submission.updated' });
    expect(transition(sub('returned'), 'submit', PRINCIPALS['staff-same'])).toMatchObject({ from: 'returned', to: 'submitted' });
  });

  it.each([
    ['return', 'submitted', 'reviewer-same'],
    ['reopen', 'approved', 'admin'],
    ['void', 'draft', 'admin'],
    ['void', 'approved', 'admin'],
  ] as [Action, Status, Who][])('%s from %s needs a non-blank note', (action, from, who) => {
    for (const opts of [undefined, {}, { note: '' }, { note: '   ' }, { note: '\u3000\n\t' }]) {
      const e = errorOf(() => transition(sub(from), action, PRINCIPALS[who], opts));
      expect(e.code).toBe('validation.failed');
      expect(e.status).toBe(422);
      expect(e.errors).toEqual([{ path: 'note', code: 'required', message: { zh: expect.any(String), en: expect.any(String) } }]);
    }
    expect(transition(sub(from), action, PRINCIPALS[who], { note: '面积填写错误' }).to).toBe(EDGES[action][from]);
  });

  it('approve, submit and update need no note', () => {
    expect(transition(sub('submitted'), 'approve', PRINCIPALS['reviewer-same']).to).toBe('approved');
    expect(transition(sub('draft'), 'submit', PRINCIPALS['staff-same']).to).toBe('submitted');
    expect(transition(sub('draft'), 'update', PRINCIPALS['staff-same']).to).toBe('draft');
    expect(transition(sub(null), 'create', PRINCIPALS['staff-same'])).toEqual({ from: null, to: 'draft', action: 'create', event: 'submission.created', history: 'created' });
  });

  it('errors follow the API precedence: 403 before 409 before 422', () => {
    // viewer voiding a voided record without a note: forbidden first
    expect(errorOf(() => transition(sub('voided'), 'void', PRINCIPALS.viewer)).code).toBe('access.forbidden');
    // reviewer of another sector returning a draft without a note: forbidden first
    expect(errorOf(() => transition(sub('draft'), 'return', PRINCIPALS['reviewer-other-sector'])).code).toBe('access.forbidden');
    // admin voiding a voided record without a note: the status is wrong before the note is missing
    expect(errorOf(() => transition(sub('voided'), 'void', PRINCIPALS.admin)).code).toBe('workflow.invalid-transition');
    // the right reviewer returning an approved record without a note: 409, not 422
    expect(errorOf(() => transition(sub('approved'), 'return', PRINCIPALS['reviewer-same'])).code).toBe('workflow.invalid-transition');
  });

  it('voided is final: nothing is allowed, not even for an admin', () => {
    expect(allowedActions(sub('voided'), PRINCIPALS.admin)).toEqual([]);
  });

  it('allowedActions lists the buttons per role', () => {
    expect(allowedActions(sub('submitted'), PRINCIPALS['reviewer-same'])).toEqual(['approve', 'return']);
    expect(allowedActions(sub('submitted'), PRINCIPALS.admin)).toEqual(['approve', 'return', 'void']);
    expect(allowedActions(sub('draft'), PRINCIPALS['staff-same'])).toEqual(['update', 'submit']);
    expect(allowedActions(sub('approved'), PRINCIPALS.admin)).toEqual(['reopen', 'void']);
    expect(allowedActions(sub(null), PRINCIPALS['staff-same'])).toEqual(['create']);
    expect(allowedActions(sub('draft'), PRINCIPALS.viewer)).toEqual([]);
    expect(allowedActions(sub('draft'), PRINCIPALS['staff-other-region'])).toEqual([]);
  });

  it('staff with no regions or no sector can do nothing', () => {
    const noRegions: Principal = { userId: 'x', role: 'staff', sector: 'emergency', regions: [] };
    const noSector: Principal = { userId: 'y', role: 'staff', sector: null, regions: [COUNTY] };
    expect(errorOf(() => transition(sub('draft'), 'update', noRegions)).code).toBe('access.forbidden');
    expect(errorOf(() => transition(sub('draft'), 'submit', noSector)).code).toBe('access.forbidden');
  });

  it('a reviewer whose scope is the township reviews its villages but not the next township', () => {
    const r: Principal = { userId: 'r', role: 'reviewer', sector: 'emergency', regions: [T1] };
    expect(transition(sub('submitted'), 'approve', r).to).toBe('approved');
    expect(errorOf(() => transition({ ...sub('submitted'), regionCode: '420102002001' }, 'approve', r)).code).toBe('access.forbidden');
  });

  it('an unknown action is rejected', () => {
    expect(errorOf(() => transition(sub('draft'), 'publish' as Action, PRINCIPALS.admin)).code).toBe('workflow.invalid-transition');
  });
});

describe('TRANSITIONS is the data the UI and docs read', () => {
  it('lists every action with from, to, roles, note rule and event matching the oracle', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ACTIONS].sort());
    for (const action of ACTIONS) {
      const rule = TRANSITIONS[action];
      const froms = Object.keys(EDGES[action]).map((k) => (k === 'none' ? null : k));
      expect([...rule.from].sort()).toEqual(froms.sort());
      expect(rule.event).toBe(EVENTS[action]);
      const roles = [...new Set(WHO[action].map((w) => PRINCIPALS[w].role))].sort();
      expect([...rule.roles].sort()).toEqual(roles);
      expect(rule.noteRequired).toBe(['return', 'reopen', 'void'].includes(action));
    }
  });

  it('nextStatus follows the table', () => {
    expect(nextStatus('update', 'returned')).toBe('returned');
    expect(nextStatus('submit', 'returned')).toBe('submitted');
    expect(nextStatus('approve', 'draft')).toBeNull();
    expect(nextStatus('create', null)).toBe('draft');
    expect(nextStatus('create', 'draft')).toBeNull();
  });
});
