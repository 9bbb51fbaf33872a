/**
 * Progress arithmetic (API.md "Progress"). A cell is (form, region) with counts per status and a target.
 *
 * - Per cell: `done = min(approved, target)`. Stored counts are sanitized first: negative, fractional or non-finite
 *   values count as their floor, and never below 0 (a counter that drifted below zero must not subtract progress).
 * - `attestedNone`: the region attests "none of these exist here". The cell's effective target is 0: it is finished,
 *   adds nothing to Σtarget and nothing to Σdone (so it neither raises nor lowers any percentage). Its status counts
 *   are still summed (they are data; a reconcile or review deals with them).
 * - Any rollup sums the capped numerators and the targets: `pct = round(100 × Σdone / Σtarget, 1)`, half up, computed
 *   in integers (no floating-point drift: 1/3 → 33.3, 2/3 → 66.7, 1/16 → 6.3, 1/2000 → 0.1); `null` when Σtarget = 0.
 *   Never an average of percentages; never above 100 (Σdone ≤ Σtarget because done ≤ target per cell).
 * - `remaining = Σtarget − Σdone` (extra field): what is still to be approved. Note that pct can round to 100.0 while
 *   remaining > 0 (e.g. 1999/2000 = 99.95 → 100.0); `classifySector` uses `remaining`, not pct, for "complete".
 * - `approved` is the raw (uncapped) count, and `submitted`/`returned`/`draft` are shown separately: submitted but not
 *   yet approved work never counts as done.
 * - Survey objects (objects.ts): a cell with listed objects (`objects > 0`) takes its target from the list — the objects
 *   that are not duplicates (`listed`) — and the admin's typed target no longer applies there; done = not-required
 *   objects + objects whose record is approved (`surveyedApproved`), capped at `listed`. Records that name no object
 *   do not count in such a cell. An attestation of "none exist here" still makes the cell's target 0.
 */
import { DomainError } from './errors';
import { contains, type RegionTree } from './regions';
import { SECTORS, type SectorId } from './sectors';

export interface Cell {
  formId: string;
  regionCode: string;
  target: number;
  draft: number;
  submitted: number;
  returned: number;
  approved: number;
  /** The region attests "none exist here": effective target 0, counted as finished (see module comment). */
  attestedNone?: boolean;
  /** Survey-object counters (objects.ts `ObjectCounts`); absent or 0 for a cell without listed objects. */
  objects?: number;
  listed?: number;
  surveyed?: number;
  surveyedApproved?: number;
  notRequired?: number;
}

export interface Counts {
  target: number;
  draft: number;
  submitted: number;
  returned: number;
  approved: number;
  /** round(100 × Σdone / Σtarget, 1), half up; null when Σtarget = 0. */
  pct: number | null;
  /** Σtarget − Σdone. */
  remaining: number;
  /** Survey objects of the cells (0 where none are listed): listed (not duplicates), named by a live record, closed as not required. */
  listed: number;
  surveyed: number;
  /** Objects whose record is approved (what the dashboard's "approved" means among listed objects). */
  surveyedApproved: number;
  notRequired: number;
}

export interface FormRef {
  id: string;
  sector: SectorId;
  part: string;
}

export interface FormProgress {
  formId: string;
  total: Counts;
}
export interface PartProgress {
  part: string;
  total: Counts;
  forms: FormProgress[];
}
export interface SectorProgress {
  sector: SectorId;
  total: Counts;
  parts: PartProgress[];
}
export interface RegionProgress {
  code: string;
  name: { zh: string; en: string };
  total: Counts;
}
export interface ProgressReport {
  region: { code: string; name: { zh: string; en: string } };
  total: Counts;
  sectors: SectorProgress[];
  children: RegionProgress[];
}

/** A stored count as a non-negative integer. */
function n(x: unknown): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.floor(x) : 0;
}

/** The effective target of a cell (0 when the region attests none exist). */
export function cellTarget(c: Cell): number {
  if (c.attestedNone) return 0;
  return n(c.objects) > 0 ? n(c.listed) : n(c.target);
}

/** done = min(approved, target), with sanitized counts; in a cell with listed objects, not-required + approved objects. */
export function cellDone(c: Cell): number {
  const closed = n(c.objects) > 0 ? n(c.notRequired) + n(c.surveyedApproved) : n(c.approved);
  return Math.min(closed, cellTarget(c));
}

/**
 * round(100 × done / target, 1), half up, exactly: the result is q / 10 with q = floor((2000·done + target) / (2·target)),
 * the integer division done with a correction step so that it is exact for all safe integers.
 */
export function percent(done: number, target: number): number | null {
  if (!(target > 0)) return null;
  const d = Math.min(Math.max(0, done), target);
  const a = 2000 * d + target;
  const b = 2 * target;
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return Math.min(q, 1000) / 10;
}

export function sumCells(cells: readonly Cell[]): Counts {
  let target = 0;
  let done = 0;
  let draft = 0;
  let submitted = 0;
  let returned = 0;
  let approved = 0;
  let listed = 0;
  let surveyed = 0;
  let surveyedApproved = 0;
  let notRequired = 0;
  for (const c of cells) {
    listed += n(c.listed);
    surveyed += n(c.surveyed);
    surveyedApproved += n(c.surveyedApproved);
    notRequired += n(c.notRequired);
    target += cellTarget(c);
    done += cellDone(c);
    draft += n(c.draft);
    submitted += n(c.submitted);
    returned += n(c.returned);
    approved += n(c.approved);
  }
  return { target, draft, submitted, returned, approved, pct: percent(done, target), remaining: target - done, listed, surveyed, surveyedApproved, notRequired };
}

/**
 * Sector → part → form rollup. Every form in `forms` appears (a form without cells has target 0 and pct null);
 * a sector or part appears when at least one of the given forms belongs to it. Sectors and parts in `SECTORS` order
 * (parts not declared there follow, in order of first appearance); forms in the order given (duplicates by id are
 * taken once). Cells of forms not in `forms` are ignored.
 */
export function rollupBySector(cells: readonly Cell[], forms: readonly FormRef[]): SectorProgress[] {
  const byForm = new Map<string, Cell[]>();
  for (const c of cells) {
    const list = byForm.get(c.formId);
    if (list) list.push(c);
    else byForm.set(c.formId, [c]);
  }
  const unique = [...new Map(forms.map((f) => [f.id, f] as const)).values()];
  const out: SectorProgress[] = [];
  for (const sector of SECTORS) {
    const sectorForms = unique.filter((f) => f.sector === sector.id);
    if (!sectorForms.length) continue;
    const partIds = [...sector.parts.map((p) => p.id), ...sectorForms.map((f) => f.part)].filter((p, i, all) => all.indexOf(p) === i);
    const parts: PartProgress[] = [];
    const sectorCells: Cell[] = [];
    for (const part of partIds) {
      const partForms = sectorForms.filter((f) => f.part === part);
      if (!partForms.length) continue;
      const partCells: Cell[] = [];
      const formRows = partForms.map((f) => {
        const fc = byForm.get(f.id) ?? [];
        partCells.push(...fc);
        return { formId: f.id, total: sumCells(fc) };
      });
      sectorCells.push(...partCells);
      parts.push({ part, total: sumCells(partCells), forms: formRows });
    }
    out.push({ sector: sector.id, total: sumCells(sectorCells), parts });
  }
  return out;
}

/**
 * Region rollup: `total` sums the cells inside `regionCode` (the region itself and everything below it); `children`
 * lists every child of the region in the tree (code order), each summing the cells inside its subtree. Cells *at* the
 * region itself count in `total` and in no child. Membership is by code (regions.ts `contains`).
 */
export function rollupByRegion(cells: readonly Cell[], tree: RegionTree, regionCode: string): { total: Counts; children: RegionProgress[] } {
  const inside = cells.filter((c) => contains(regionCode, c.regionCode));
  const children = tree.children(regionCode).map((r) => ({
    code: r.code,
    name: r.name,
    total: sumCells(inside.filter((c) => contains(r.code, c.regionCode))),
  }));
  return { total: sumCells(inside), children };
}

/**
 * The `/api/progress` response: cells inside `regionCode` whose form is in `forms` (and, with `sector`, of that sector
 * only), rolled up by sector → part → form and by child region. `total` equals the sum of the sector totals and of the
 * cells of the children plus those at the region itself.
 */
export function progressReport(cells: readonly Cell[], forms: readonly FormRef[], tree: RegionTree, regionCode: string, sector?: SectorId): ProgressReport {
  const region = tree.get(regionCode);
  if (!region) throw new DomainError('resource.not-found', `No region ${regionCode}`);
  const useForms = sector ? forms.filter((f) => f.sector === sector) : forms;
  const formIds = new Set(useForms.map((f) => f.id));
  const mine = cells.filter((c) => formIds.has(c.formId) && contains(regionCode, c.regionCode));
  const { total, children } = rollupByRegion(mine, tree, regionCode);
  return {
    region: { code: region.code, name: region.name },
    total,
    sectors: rollupBySector(mine, useForms),
    children,
  };
}

/**
 * How far a sector (or any rollup) has got, for the briefing:
 * - `complete`: there is a target and all of it is done (remaining = 0, target > 0). pct is then 100.
 * - `in-progress`: some of the target is done (Σdone > 0), not all of it.
 * - `started`: nothing done yet, but something exists (draft, submitted, returned, or approved beyond a zero target).
 * - `not-started`: no submissions at all (this includes a rollup whose targets are all 0 or attested none).
 * Uses `remaining`, not the rounded pct, so 1999/2000 (pct 100.0) is `in-progress`.
 */
export type SectorState = 'complete' | 'in-progress' | 'started' | 'not-started';

export function classifySector(counts: Counts): SectorState {
  const done = counts.target - counts.remaining;
  if (counts.target > 0 && counts.remaining === 0) return 'complete';
  if (done > 0) return 'in-progress';
  if (counts.draft + counts.submitted + counts.returned + counts.approved > 0) return 'started';
  return 'not-started';
}
