/**
 * The submission status machine, as data (`TRANSITIONS`) plus one pure function (`transition`).
 *
 *   (none) ─create→ draft ─submit→ submitted ─approve→ approved ─reopen (admin, note)→ returned
 *                                     submitted ─return (note)→ returned ─submit→ submitted
 *   void (admin, reason): draft | submitted | approved | returned → voided (final)
 *   update keeps the status: draft → draft, returned → returned.
 *
 * Who: create/update/submit need `submission.write` (staff of the record's sector whose regions contain it, or admin —
 * not only the author: staff of one sector and region work as a team); approve/return need `submission.review`
 * (reviewer of the sector whose regions contain the record, or admin); reopen/void need `submission.admin` (admin).
 *
 * Errors, in the API's precedence order: `access.forbidden` (403) when the principal may not take this action on this
 * record at all, then `workflow.invalid-transition` (409) when the status does not allow it, then `validation.failed`
 * (422, path `note`, code `required`) when a return, reopen or void carries no non-blank note.
 */
import { can, type Action as AccessAction } from './access';
import { DomainError, fieldMessage } from './errors';
import type { Principal, Role } from './principal';
import type { SectorId } from './sectors';

export const STATUSES = ['draft', 'submitted', 'approved', 'returned', 'voided'] as const;
export type Status = (typeof STATUSES)[number];

export const ACTIONS = ['create', 'update', 'submit', 'approve', 'return', 'reopen', 'void'] as const;
export type Action = (typeof ACTIONS)[number];
export type WorkflowAction = Action;

export type WorkflowEvent =
  | 'submission.created'
  | 'submission.updated'
  | 'submission.submitted'
  | 'submission.approved'
  | 'submission.returned'
  | 'submission.reopened'
  | 'submission.voided';

/** The `action` word stored in a submission's history (API.md `history[].action`). */
export type HistoryAction = 'created' | 'updated' | 'submitted' | 'approved' | 'returned' | 'reopened' | 'voided';

export interface TransitionRule {
  /** Statuses the action may start from; `null` = the submission does not exist yet (create only). */
  from: readonly (Status | null)[];
  /** Status after the action; `'same'` = unchanged (update). */
  to: Status | 'same';
  /** Roles that may take the action at all; sector and region are checked through `permission`. */
  roles: readonly Role[];
  /** The access action (see access.ts) checked against the record's sector and region. */
  permission: AccessAction;
  /** A non-blank note (the reason) is required. */
  noteRequired: boolean;
  event: WorkflowEvent;
  history: HistoryAction;
}

const LIVE: readonly Status[] = ['draft', 'submitted', 'approved', 'returned'];

export const TRANSITIONS: Readonly<Record<Action, TransitionRule>> = {
  create: { from: [null], to: 'draft', roles: ['admin', 'staff'], permission: 'submission.write', noteRequired: false, event: 'submission.created', history: 'created' },
  update: { from: ['draft', 'returned'], to: 'same', roles: ['admin', 'staff'], permission: 'submission.write', noteRequired: false, event: 'submission.updated', history: 'updated' },
  submit: { from: ['draft', 'returned'], to: 'submitted', roles: ['admin', 'staff'], permission: 'submission.write', noteRequired: false, event: 'submission.submitted', history: 'submitted' },
  approve: { from: ['submitted'], to: 'approved', roles: ['admin', 'reviewer'], permission: 'submission.review', noteRequired: false, event: 'submission.approved', history: 'approved' },
  return: { from: ['submitted'], to: 'returned', roles: ['admin', 'reviewer'], permission: 'submission.review', noteRequired: true, event: 'submission.returned', history: 'returned' },
  reopen: { from: ['approved'], to: 'returned', roles: ['admin'], permission: 'submission.admin', noteRequired: true, event: 'submission.reopened', history: 'reopened' },
  void: { from: LIVE, to: 'voided', roles: ['admin'], permission: 'submission.admin', noteRequired: true, event: 'submission.voided', history: 'voided' },
};

/** What the workflow needs to know about a submission. `status: null` = not created yet. */
export interface WorkflowSubject {
  status: Status | null;
  sector: SectorId;
  regionCode: string;
  /** Informational: the rules do not depend on authorship (a sector's staff in a region work as a team). */
  createdBy?: string;
}

export interface TransitionResult {
  from: Status | null;
  to: Status;
  action: Action;
  event: WorkflowEvent;
  history: HistoryAction;
}

export function isAction(a: unknown): a is Action {
  return typeof a === 'string' && Object.hasOwn(TRANSITIONS, a);
}

export function isStatus(s: unknown): s is Status {
  return typeof s === 'string' && (STATUSES as readonly string[]).includes(s);
}

/** The status after `action` from `from`, or null when the action does not start from that status. */
export function nextStatus(action: Action, from: Status | null): Status | null {
  const rule = TRANSITIONS[action];
  if (!rule.from.includes(from)) return null;
  if (rule.to !== 'same') return rule.to;
  return from;
}

function mayAct(sub: WorkflowSubject, rule: TransitionRule, principal: Principal): boolean {
  return rule.roles.includes(principal.role) && can(principal, rule.permission, { sector: sub.sector, regionCode: sub.regionCode });
}

/**
 * Decide one status change. Returns the edge taken, or throws a DomainError (see the module comment for which and
 * in what order). Pure: writing the record, the counters and the audit entry is the caller's job.
 */
export function transition(sub: WorkflowSubject, action: Action, principal: Principal, opts: { note?: string } = {}): TransitionResult {
  if (!isAction(action)) throw new DomainError('workflow.invalid-transition', `Unknown action ${String(action)}`);
  const rule = TRANSITIONS[action];
  if (!mayAct(sub, rule, principal)) {
    throw new DomainError('access.forbidden', `A ${principal.role} cannot ${action} this ${sub.sector} submission in ${sub.regionCode}`);
  }
  const from = sub.status ?? null;
  const to = nextStatus(action, from);
  if (to === null) {
    throw new DomainError('workflow.invalid-transition', from === null ? `Cannot ${action} a submission that does not exist` : `Cannot ${action} a ${from} submission`);
  }
  if (rule.noteRequired && !(typeof opts.note === 'string' && opts.note.trim() !== '')) {
    throw new DomainError('validation.failed', `A ${action} needs a note giving the reason`, [{ path: 'note', code: 'required', message: fieldMessage('required') }]);
  }
  return { from, to, action, event: rule.event, history: rule.history };
}

/** Actions the principal may take on the submission now (for buttons). Notes are asked for by the UI, so ignored here. */
export function allowedActions(sub: WorkflowSubject, principal: Principal): Action[] {
  return ACTIONS.filter((a) => mayAct(sub, TRANSITIONS[a], principal) && nextStatus(a, sub.status ?? null) !== null);
}
