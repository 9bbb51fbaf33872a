/**
 * administer-submission — POST /api/submissions/{id}/admin with If-Match, body { action: reopen|void, note }.
 * Admin only: reopen an approved submission (back to returned, so staff can fix it) or void any, always with a reason.
 */
import type { Principal } from '#domain/principal';
import { changeStatus } from './change-status';
import type { Ports, Submission } from './ports';
import { parseDecisionBody } from './review-submission';

export async function administerSubmission(ports: Ports, principal: Principal, input: { id: string; ifMatch: number | undefined; body: unknown }): Promise<Submission> {
  const { value, note } = parseDecisionBody(input.body, 'action', ['reopen', 'void'] as const);
  return changeStatus(ports, principal, { id: input.id, ifMatch: input.ifMatch, action: value, note });
}
