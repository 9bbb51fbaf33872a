/**
 * Access policy: what a principal may do, by role, sector and region subtree. Pure; used by the use cases (the
 * authoritative check), by list queries (`scopeFor`) and by the web app (to hide what cannot be done).
 *
 * Policy (POLICY below is the source of truth):
 * - admin: everything, everywhere, every sector (not bound by `regions`).
 * - staff: read and write submissions, and export, of their own sector inside their regions; read progress inside
 *   their regions; read regions and forms.
 * - reviewer: read and review (approve/return — never write) submissions, and export, of their own sector inside their
 *   regions; read progress inside their regions; read regions and forms.
 * - viewer: read progress inside their regions; read regions and forms. Nothing else.
 * - `targets.write`, `members.manage`, `submission.admin` (reopen, void), `boundaries.write`: admin only.
 * - survey objects: staff read their sector's lists in their regions and add objects found in the field; reviewers
 *   also manage them (import, add, close, assign); viewers read the lists of their regions (the map).
 *
 * Scopes:
 * - 'sector-region': the principal needs a sector and at least one region; a resource's `sector` (when given) must be
 *   the principal's, its `regionCode` (when given) must lie in one of the principal's region subtrees.
 * - 'region': progress is aggregate, so any sector, but only inside the principal's region subtrees. Asking for an
 *   ancestor of one's scope (a township staff member asking for the county) is refused: the county figures include
 *   other townships.
 * - 'any': reference data, visible to every authenticated principal.
 * A non-admin principal with no regions can do nothing region-bound.
 *
 * Without a `resource`, `can` answers "may the principal do this anywhere at all" (e.g. to show a menu entry).
 */
import type { Principal, Role } from './principal';
import { contains, isRegionCode, withinAny } from './regions';
import type { SectorId } from './sectors';

export const ACTIONS = [
  'submission.read',
  'submission.write',
  'submission.review',
  'submission.admin',
  'progress.read',
  'targets.write',
  'regions.read',
  'forms.read',
  'export.create',
  'members.manage',
  /** Survey objects (objects.ts): read the lists; manage them (import, add, close, assign); add one found in the field. */
  'objects.read',
  'objects.manage',
  'objects.found',
  /** Upload region boundaries. */
  'boundaries.write',
] as const;
export type Action = (typeof ACTIONS)[number];

export type Scope = 'any' | 'region' | 'sector-region';

export const POLICY: Readonly<Record<Role, Readonly<Partial<Record<Action, Scope>>>>> = {
  admin: Object.fromEntries(ACTIONS.map((a) => [a, 'any' as const])),
  staff: {
    'submission.read': 'sector-region',
    'submission.write': 'sector-region',
    'export.create': 'sector-region',
    'progress.read': 'region',
    'regions.read': 'any',
    'forms.read': 'any',
    'objects.read': 'sector-region',
    'objects.found': 'sector-region',
  },
  reviewer: {
    'submission.read': 'sector-region',
    'submission.review': 'sector-region',
    'export.create': 'sector-region',
    'progress.read': 'region',
    'regions.read': 'any',
    'forms.read': 'any',
    'objects.read': 'sector-region',
    'objects.manage': 'sector-region',
    'objects.found': 'sector-region',
  },
  viewer: {
    'objects.read': 'region',
    'progress.read': 'region',
    'regions.read': 'any',
    'forms.read': 'any',
  },
};

export interface Resource {
  sector?: SectorId;
  regionCode?: string;
}

export function can(principal: Principal, action: Action, resource?: Resource): boolean {
  const scope = POLICY[principal.role]?.[action];
  if (!scope) return false;
  if (scope === 'any') return true;
  const regions = validRoots(principal.regions);
  if (!regions.length) return false;
  if (resource?.regionCode !== undefined && !withinAny(regions, resource.regionCode)) return false;
  if (scope === 'region') return true;
  if (!principal.sector) return false;
  return resource?.sector === undefined || resource.sector === principal.sector;
}

export interface ListScope {
  /** Sectors whose records may be listed; `'all'` = no sector filter. */
  sectors: SectorId[] | 'all';
  /** Region subtree roots (no root nested in another, code order); `'all'` = no region filter. */
  regions: string[] | 'all';
}

/** The filter a list query applies for `action`. Empty lists mean nothing is visible. */
export function scopeFor(principal: Principal, action: Action): ListScope {
  const scope = POLICY[principal.role]?.[action];
  const none: ListScope = { sectors: [], regions: [] };
  if (!scope) return none;
  if (scope === 'any') return { sectors: 'all', regions: 'all' };
  const regions = validRoots(principal.regions);
  if (!regions.length) return none;
  if (scope === 'region') return { sectors: 'all', regions };
  if (!principal.sector) return none;
  return { sectors: [principal.sector], regions };
}

/** Valid region codes only, deduplicated, with roots that lie inside another root dropped; sorted by code. */
function validRoots(codes: readonly string[]): string[] {
  const valid = [...new Set(codes.filter((c) => isRegionCode(c)))].sort();
  return valid.filter((c) => !valid.some((o) => o !== c && contains(o, c)));
}
