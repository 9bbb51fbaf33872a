/**
 * change-status — the shared core of submit, review (approve/return) and the admin actions (reopen/void):
 *  1. load the submission the caller can see (404);
 *  2. a retry of the last successful change by the same user (same action, same If-Match) is answered as that success;
 *  3. the workflow decides whether this role may take this step from this status (403, 409; note required → 422);
 *  4. a stale If-Match → 412;
 *  5. `prepare` runs step-specific checks (submit: validation and attachments → 422);
 *  6. one transaction: the record (conditioned on version and status), the counters, the audit entry.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { transition, type Action } from '#domain/workflow';
import { objectEffect } from '#domain/objects';
import { ObjectTaken, WriteConflict, type HistoryEntry, type Ports, type Submission } from './ports';
import { isReplay, loadVisible, objectTaken, requestKey } from './submission-support';

const HISTORY_ACTION: Record<string, HistoryEntry['action']> = {
  submit: 'submitted',
  approve: 'approved',
  return: 'returned',
  reopen: 'reopened',
  void: 'voided',
};

export async function changeStatus(
  ports: Ports,
  principal: Principal,
  input: { id: string; ifMatch: number | undefined; action: Exclude<Action, 'create' | 'update'>; note?: string },
  prepare?: (s: Submission) => Promise<Partial<Submission>>,
): Promise<Submission> {
  if (input.ifMatch === undefined) throw new DomainError('version.required', 'Send If-Match with the version you read');
  const note = input.note?.normalize('NFC').trim() || undefined;
  const key = requestKey({ op: input.action, ifMatch: input.ifMatch, note: note ?? null });
  for (let attempt = 0; attempt < 3; attempt++) {
    const s = await loadVisible(ports, principal, input.id);
    if (isReplay(s, key, principal.userId)) return s;
    const t = transition(s, input.action, principal, { note });
    if (s.version !== input.ifMatch) throw new DomainError('version.stale', `The current version is ${s.version}`);
    const extra = prepare ? await prepare(s) : {};
    const now = ports.now().toISOString();
    const next: Submission = {
      ...s,
      ...extra,
      status: t.to,
      version: s.version + 1,
      updatedAt: now,
      ...(t.to === 'submitted' ? { submittedAt: now } : {}),
      ...(input.action !== 'submit' ? { reviewNote: note } : {}),
      lastWrite: { key, by: principal.userId, status: 200 },
    };
    if (next.reviewNote === undefined) delete next.reviewNote;
    try {
      await ports.submissions.write({
        next,
        expect: { version: s.version, status: s.status },
        counters: { [s.status]: -1, [t.to]: 1 },
        audit: [{ at: now, by: principal.userId, action: HISTORY_ACTION[input.action]!, from: s.status, to: t.to, ...(note ? { note } : {}) }],
        ...(s.objectId ? { object: objectEffect(s.objectId, s.status, t.to) } : {}),
      });
      return next;
    } catch (e) {
      if (e instanceof ObjectTaken) throw objectTaken(e.objectId);
      if (!(e instanceof WriteConflict)) throw e;
    }
  }
  throw new DomainError('version.stale', 'The submission changed meanwhile; reload and try again');
}
