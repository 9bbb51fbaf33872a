/**
 * list-target-history — GET /api/targets/history?formId=&regionCode=
 *   → { formId, regionCode, target, attestedNone, entries: [{ at, by, byName, target?, attestedNone? }] } (newest first)
 *  1. both parameters are required (400); the form and the region exist (404);
 *  2. the caller reads progress in that region (404 otherwise, as /api/progress answers);
 *  3. the cell's current target and attestation, and its log (every PUT /api/targets, target import and attestation).
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { countyOf } from '#domain/regions';
import type { Ports } from './ports';

export async function listTargetHistory(ports: Ports, principal: Principal, q: Record<string, string | undefined>) {
  const unknown = Object.keys(q).filter((k) => k !== 'formId' && k !== 'regionCode');
  if (unknown.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknown[0]}`);
  if (!q.formId || !q.regionCode) throw new DomainError('request.bad-parameter', 'formId and regionCode are required');
  const [forms, regions] = await Promise.all([ports.directory.listForms(), ports.directory.regions()]);
  if (!forms.some((f) => f.id === q.formId)) throw new DomainError('resource.not-found', `No form ${q.formId}`);
  if (!regions.some((r) => r.code === q.regionCode) || !can(principal, 'progress.read', { regionCode: q.regionCode })) {
    throw new DomainError('resource.not-found', `No region ${q.regionCode}`);
  }
  const [entries, cells] = await Promise.all([ports.progress.targetHistory(q.formId, q.regionCode), ports.progress.cellsForCounty(countyOf(q.regionCode))]);
  const cell = cells.find((c) => c.formId === q.formId && c.regionCode === q.regionCode);
  const names = principal.role === 'admin' ? new Map((await ports.directory.members()).map((m) => [m.userId, m.displayName])) : new Map<string, string>();
  return {
    formId: q.formId,
    regionCode: q.regionCode,
    target: cell?.target ?? 0,
    attestedNone: cell?.attestedNone ?? false,
    entries: [...entries].reverse().map((e) => ({ ...e, ...(names.has(e.by) ? { byName: names.get(e.by) } : {}) })),
  };
}
