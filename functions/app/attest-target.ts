/**
 * attest-target — POST /api/targets/attest { formId, regionCode, none: true|false }
 * A region attests that none of a form's objects exist there (or withdraws that): the cell then counts as done with
 * an effective target of 0 (progress.ts `attestedNone`).
 *  1. check the body (400); the form exists and the region is one of the district's at the form's level (422);
 *  2. admins, and reviewers of the form's sector whose regions contain the region (they answer for the figures), may
 *     attest (403 otherwise);
 *  3. set or clear `attestedNone` on the cell with a target-log entry, in one transaction.
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { Ports } from './ports';
import { validationError } from './submission-support';

export async function attestTarget(ports: Ports, principal: Principal, body: unknown) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { formId, regionCode, none }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !['formId', 'regionCode', 'none'].includes(k));
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`);
  if (typeof b.formId !== 'string' || typeof b.regionCode !== 'string' || typeof b.none !== 'boolean') {
    throw new DomainError('request.malformed', 'formId and regionCode are strings, none is true or false');
  }
  const [forms, regions] = await Promise.all([ports.directory.listForms(), ports.directory.regions()]);
  const form = forms.find((f) => f.id === b.formId);
  if (!form) throw validationError([{ path: 'formId', code: 'unknown-form', message: { zh: '没有此表', en: 'No such form' } }]);
  const region = regions.find((r) => r.code === b.regionCode);
  if (!region || region.level !== form.regionLevel) {
    throw validationError([{ path: 'regionCode', code: 'region', message: { zh: '应为本区此表填报级别的区划', en: 'Must be a region of this district at the form’s level' } }]);
  }
  if (!(principal.role === 'admin' || can(principal, 'submission.review', { sector: form.sector, regionCode: region.code }))) {
    throw new DomainError('access.forbidden', 'Only administrators and the sector’s reviewers of that region attest');
  }
  await ports.progress.setAttestedNone(form.id, region.code, b.none, principal.userId, ports.now().toISOString());
  return { formId: form.id, regionCode: region.code, attestedNone: b.none };
}
