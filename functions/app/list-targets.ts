/**
 * list-targets — GET /api/targets?formId=<id>: the progress cells of one form in the district, for the target editor.
 *  1. Parameters: `formId` (required) and nothing else (400); an unknown form is 404.
 *  2. Authorize `progress.read` (admin: the whole district; any other reader of progress: inside their own regions; 403
 *     for a principal who can read progress nowhere).
 *  3. One Query of the district's cells (as get-progress); keep the form's cells inside the caller's scope.
 *  4. Every region at the form's level inside that scope appears, in code order: a region without a stored cell has
 *     target 0 and no counts (that is what progress counts for it).
 */
import { can, scopeFor } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { withinAny } from '#domain/regions';
import type { Ports } from './ports';

export interface TargetCell {
  formId: string;
  regionCode: string;
  target: number;
  draft: number;
  submitted: number;
  returned: number;
  approved: number;
  /** Present where the region has a survey list: the target is the listed objects (not duplicates), not a typed number. */
  listed?: number;
}

export async function listTargets(ports: Ports, principal: Principal, q: Record<string, string | undefined>): Promise<TargetCell[]> {
  const unknown = Object.keys(q).filter((k) => k !== 'formId');
  if (unknown.length) throw new DomainError('request.bad-parameter', `Unknown parameter ${unknown[0]}`);
  if (!q.formId) {
    throw new DomainError('request.bad-parameter', 'formId is required', [{ path: 'formId', code: 'required', message: { zh: '请指定调查表', en: 'Choose a form' } }]);
  }
  if (!can(principal, 'progress.read')) throw new DomainError('access.forbidden', 'You cannot read progress');
  const [forms, regions] = await Promise.all([ports.directory.listForms(), ports.directory.regions()]);
  const form = forms.find((f) => f.id === q.formId);
  if (!form) throw new DomainError('resource.not-found', `No form ${q.formId}`);
  const district = regions.find((r) => r.level === 'county');
  if (!district) return [];
  const scope = scopeFor(principal, 'progress.read').regions;
  const inScope = (code: string) => scope === 'all' || withinAny(scope, code);
  const cells = new Map((await ports.progress.cellsForCounty(district.code)).filter((c) => c.formId === form.id).map((c) => [c.regionCode, c]));
  return regions
    .filter((r) => r.level === form.regionLevel && inScope(r.code))
    .sort((a, b) => a.code.localeCompare(b.code))
    .map((r) => {
      const c = cells.get(r.code);
      return {
        formId: form.id,
        regionCode: r.code,
        target: c?.target ?? 0,
        draft: c?.draft ?? 0,
        submitted: c?.submitted ?? 0,
        returned: c?.returned ?? 0,
        approved: c?.approved ?? 0,
        ...(c?.objects ? { listed: c.listed ?? 0 } : {}),
      };
    });
}
