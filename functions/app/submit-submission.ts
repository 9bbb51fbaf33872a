/**
 * submit-submission — POST /api/submissions/{id}/submit with If-Match.
 * Steps: change-status with action `submit`; before writing, the answers are validated in submit mode against the
 * pinned form version (every required field, every rule → 422 with paths) and every attachment must exist (422).
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { validate } from '#domain/validate';
import { changeStatus } from './change-status';
import type { Ports, Submission } from './ports';
import { checkAttachments, validationError } from './submission-support';

export async function submitSubmission(ports: Ports, principal: Principal, input: { id: string; ifMatch: number | undefined; body: unknown }): Promise<Submission> {
  if (input.body !== undefined && (typeof input.body !== 'object' || input.body === null || Array.isArray(input.body) || Object.keys(input.body).length > 0)) {
    throw new DomainError('request.unknown-key', 'Submit takes no body');
  }
  return changeStatus(ports, principal, { id: input.id, ifMatch: input.ifMatch, action: 'submit' }, async (s) => {
    const form = await ports.directory.formVersion(s.formId, s.formVersion);
    if (!form) throw new DomainError('internal', `form ${s.formId} v${s.formVersion} is missing`);
    const regions = await ports.directory.regions();
    const r = validate(form, s.data, { mode: 'submit', regionExists: (c) => regions.some((x) => x.code === c) });
    if (!r.ok) throw validationError(r.errors);
    const attachments = await checkAttachments(ports, s.id, form, r.data);
    return { data: r.data, attachments };
  });
}
