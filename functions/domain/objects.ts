/**
 * Survey objects (清查名录, API.md "Survey objects"): the list a sector builds before the survey (listing, 清查), then
 * surveys object by object. Pure: shared by the browser (import preview, "my tasks") and the server.
 *
 * - An object belongs to one form (an object table, `unit: 'object'`) and one region at the form's region level (the
 *   cell it counts in). Its id is derived from (formId, code), so a re-import of the same list creates nothing new.
 * - Status: `pending` (listed, not surveyed), `surveyed` (a record that is not voided names it), `not-required`
 *   (无需调查, closed without a record), `duplicate` (重复, not counted at all). `surveyed` is never set by hand: it
 *   follows the record (claimed when a record names the object, released when that record is voided).
 * - Progress: where a form has objects in a cell, the cell's target is the number of its objects that are not
 *   duplicates and done = not-required objects + objects whose record is approved (see progress.ts).
 */

export const OBJECT_STATUSES = ['pending', 'surveyed', 'not-required', 'duplicate'] as const;
export type ObjectStatus = (typeof OBJECT_STATUSES)[number];
/** The statuses a person may set (surveyed follows the record). */
export const MANUAL_OBJECT_STATUSES = ['pending', 'not-required', 'duplicate'] as const;
export type ManualObjectStatus = (typeof MANUAL_OBJECT_STATUSES)[number];

export interface LatLng {
  lat: number;
  lng: number;
}

export interface SurveyObject {
  id: string;
  formId: string;
  /** The region of the form's level the object counts in (its progress cell). */
  regionCode: string;
  code: string;
  name: string;
  location?: LatLng;
  status: ObjectStatus;
  /** The record that is not voided and names this object (status `surveyed`). */
  submissionId?: string;
  /** userId of the member the object is assigned to. */
  assignee?: string;
  /** The reason of the last manual status change (required for not-required / duplicate). */
  note?: string;
  /** Added in the field (新增) rather than listed by import. */
  found?: true;
  /** Optimistic-concurrency version (ETag). */
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** Object codes: what district lists use (digits, letters, 统一社会信用代码, building ids), safe in a URL path. */
export const OBJECT_CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function objectId(formId: string, code: string): string {
  return `${formId}~${code}`;
}

/** The (formId, code) an object id was made from, or null for a string that is not an object id. */
export function parseObjectId(id: string): { formId: string; code: string } | null {
  const i = id.lastIndexOf('~');
  if (i <= 0) return null;
  const formId = id.slice(0, i);
  const code = id.slice(i + 1);
  return OBJECT_CODE.test(code) ? { formId, code } : null;
}

/**
 * Mainland China with its islands (a generous box): a point outside it is a swapped or mistyped coordinate. The
 * census covers China only, so such a point is refused on import and entry.
 */
export const CHINA_BOUNDS = { minLat: 3.5, maxLat: 53.6, minLng: 73.4, maxLng: 135.1 } as const;

export function insideChina(p: LatLng): boolean {
  return p.lat >= CHINA_BOUNDS.minLat && p.lat <= CHINA_BOUNDS.maxLat && p.lng >= CHINA_BOUNDS.minLng && p.lng <= CHINA_BOUNDS.maxLng;
}

/** The per-cell object counters the progress store keeps (all zero for a cell without objects). */
export interface ObjectCounts {
  /** Every object of the cell, duplicates included (> 0 means the cell's target comes from the list). */
  objects: number;
  /** Objects that are not duplicates: the cell's target. */
  listed: number;
  /** Objects a live record names. */
  surveyed: number;
  /** Objects whose record is approved. */
  surveyedApproved: number;
  notRequired: number;
}

export const NO_OBJECT_COUNTS: ObjectCounts = { objects: 0, listed: 0, surveyed: 0, surveyedApproved: 0, notRequired: 0 };

/** Counter deltas of a cell when one object goes from `from` to `to` (null = did not exist / removed). */
export function objectCountDelta(from: ObjectStatus | null, to: ObjectStatus | null): Partial<ObjectCounts> {
  const d: Partial<ObjectCounts> = {};
  const add = (k: keyof ObjectCounts, n: number) => {
    d[k] = (d[k] ?? 0) + n;
    if (d[k] === 0) delete d[k];
  };
  for (const [s, sign] of [
    [from, -1],
    [to, 1],
  ] as const) {
    if (s === null) continue;
    add('objects', sign);
    if (s !== 'duplicate') add('listed', sign);
    if (s === 'not-required') add('notRequired', sign);
    if (s === 'surveyed') add('surveyed', sign);
  }
  return d;
}

/** One counter delta per cell: the deltas of the same (formId, regionCode) summed, in first-seen order. */
export function mergeCellDeltas<C extends { formId: string; regionCode: string; delta: Partial<ObjectCounts> }>(cells: readonly C[]): { formId: string; regionCode: string; delta: Partial<ObjectCounts> }[] {
  const by = new Map<string, { formId: string; regionCode: string; delta: Partial<ObjectCounts> }>();
  for (const c of cells) {
    const key = `${c.formId}#${c.regionCode}`;
    const cur = by.get(key) ?? { formId: c.formId, regionCode: c.regionCode, delta: {} };
    for (const [k, n] of Object.entries(c.delta) as [keyof ObjectCounts, number][]) cur.delta[k] = (cur.delta[k] ?? 0) + n;
    by.set(key, cur);
  }
  return [...by.values()];
}

/** Great-circle distance in metres (haversine on a sphere of the mean earth radius). */
export function distanceMetres(a: LatLng, b: LatLng): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Objects nearest first from a position; objects without a location last, by code. */
export function nearestFirst<T extends { code: string; location?: LatLng }>(objects: readonly T[], from: LatLng | null): T[] {
  const d = (o: T) => (from && o.location ? distanceMetres(from, o.location) : Infinity);
  return [...objects].sort((a, b) => d(a) - d(b) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** What a record's write does to the object it names (claimed at creation, released when voided) and to its cell. */
export interface ObjectEffect {
  id: string;
  /** claim: the object must be pending and free, and becomes surveyed by this record; release: it must be this record's. */
  link: 'claim' | 'release' | 'keep';
  counters: Partial<ObjectCounts>;
}

/**
 * The effect on its object of a record going from `from` (null: created now) to `to`. A record that names no object
 * has none. Creating claims the object (surveyed +1); voiding releases it (surveyed −1, the object is pending again);
 * entering or leaving approved moves `surveyedApproved`.
 */
export function objectEffect(objectId: string | undefined, from: string | null, to: string): ObjectEffect | undefined {
  if (!objectId) return undefined;
  const counters: Partial<ObjectCounts> = {};
  let link: ObjectEffect['link'] = 'keep';
  if (from === null && to !== 'voided') {
    link = 'claim';
    counters.surveyed = 1;
  } else if (to === 'voided' && from !== 'voided') {
    link = 'release';
    counters.surveyed = -1;
  }
  const approved = (to === 'approved' ? 1 : 0) - (from === 'approved' ? 1 : 0);
  if (approved) counters.surveyedApproved = approved;
  return { id: objectId, link, counters };
}

/**
 * The object after a record's write links or unlinks it, or null when the link is refused: a claim needs a pending
 * object no record names; a release needs the object to be named by this record.
 */
export function linkedObject(o: SurveyObject, link: ObjectEffect['link'], submissionId: string, at: string, by: string): SurveyObject | null {
  if (link === 'keep') return o;
  if (link === 'claim') {
    if (o.status !== 'pending' || o.submissionId) return null;
    return { ...o, status: 'surveyed', submissionId, version: o.version + 1, updatedAt: at, updatedBy: by };
  }
  if (o.submissionId !== submissionId) return null;
  const { submissionId: _released, ...rest } = o;
  return { ...rest, status: 'pending', version: o.version + 1, updatedAt: at, updatedBy: by };
}
