/**
 * reconcile-progress — recount every progress cell of a district from the submissions (and the object counters from
 * the survey lists) and report drift.
 * With `repair`, cells that drifted get the recounted figures (targets untouched). Run by POST /api/admin/reconcile
 * and by the tests after concurrent load; the transactional writes mean drift should always be zero.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { Cell } from '#domain/progress';
import { objectCountDelta, type ObjectCounts } from '#domain/objects';
import type { Ports } from './ports';

const STATUSES = ['draft', 'submitted', 'returned', 'approved'] as const;
/** The object counters of a cell (objects.ts ObjectCounts), recounted from the survey lists and their records. */
const OBJECT_COUNTS = ['objects', 'listed', 'surveyed', 'surveyedApproved', 'notRequired'] as const;
const COUNTED = [...STATUSES, ...OBJECT_COUNTS] as const;

export interface Drift {
  formId: string;
  regionCode: string;
  stored: Record<string, number>;
  counted: Record<string, number>;
}

export async function recount(ports: Ports, county: string): Promise<{ cells: number; submissions: number; drift: Drift[]; counted: Map<string, Cell> }> {
  const counted = new Map<string, Cell>();
  let submissions = 0;
  for await (const page of ports.submissions.scanCounty(county)) {
    for (const s of page) {
      submissions++;
      const k = `${s.formId}#${s.regionCode}`;
      const c = counted.get(k) ?? { formId: s.formId, regionCode: s.regionCode, target: 0, draft: 0, submitted: 0, returned: 0, approved: 0 };
      if (s.status !== 'voided') c[s.status] += 1;
      counted.set(k, c);
    }
  }
  // Survey lists: every object of the district's object tables counts in its cell; an object a record surveys counts
  // as surveyed, and as surveyedApproved while that record is approved.
  const statusOf = new Map<string, string>();
  for await (const page of ports.submissions.scanCounty(county)) for (const s of page) statusOf.set(s.id, s.status);
  const objectForms: string[] = [];
  for (const f of await ports.directory.listForms()) if ((await ports.directory.currentForm(f.id))?.unit === 'object') objectForms.push(f.id);
  let cursor: string | undefined;
  do {
    const page = objectForms.length ? await ports.objects.list({ formIds: objectForms, regions: [county], limit: 1000, ...(cursor ? { cursor } : {}) }) : { items: [], nextCursor: null };
    for (const o of page.items) {
      const k = `${o.formId}#${o.regionCode}`;
      const c = counted.get(k) ?? { formId: o.formId, regionCode: o.regionCode, target: 0, draft: 0, submitted: 0, returned: 0, approved: 0 };
      for (const [name, n] of Object.entries(objectCountDelta(null, o.status)) as [keyof ObjectCounts, number][]) c[name] = (c[name] ?? 0) + n;
      if (o.submissionId && statusOf.get(o.submissionId) === 'approved') c.surveyedApproved = (c.surveyedApproved ?? 0) + 1;
      counted.set(k, c);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const stored = await ports.progress.cellsForCounty(county);
  const drift: Drift[] = [];
  const keys = new Set([...counted.keys(), ...stored.map((c) => `${c.formId}#${c.regionCode}`)]);
  for (const k of keys) {
    const a = stored.find((c) => `${c.formId}#${c.regionCode}` === k);
    const b = counted.get(k);
    const pick = (c: Cell | undefined) => Object.fromEntries(COUNTED.map((s) => [s, c ? (c[s] ?? 0) : 0]));
    const sa = pick(a);
    const sb = pick(b);
    if (COUNTED.some((s) => sa[s] !== sb[s])) {
      const [formId, regionCode] = k.split('#') as [string, string];
      drift.push({ formId, regionCode, stored: sa, counted: sb });
    }
  }
  return { cells: keys.size, submissions, drift, counted };
}

export async function reconcileProgress(ports: Ports, principal: Principal, body: unknown) {
  if (principal.role !== 'admin') throw new DomainError('access.forbidden', 'Only administrators reconcile');
  const repair = typeof body === 'object' && body !== null && (body as Record<string, unknown>).repair === true;
  const regions = await ports.directory.regions();
  const county = regions.find((r) => r.level === 'county')?.code;
  if (!county) return { cells: 0, submissions: 0, drift: [], repaired: 0 };
  const r = await recount(ports, county);
  if (repair && r.drift.length) {
    await ports.progress.setCounts(
      county,
      r.drift.map((d) => ({
        formId: d.formId,
        regionCode: d.regionCode,
        target: 0,
        draft: d.counted.draft!,
        submitted: d.counted.submitted!,
        returned: d.counted.returned!,
        approved: d.counted.approved!,
        objects: d.counted.objects!,
        listed: d.counted.listed!,
        surveyed: d.counted.surveyed!,
        surveyedApproved: d.counted.surveyedApproved!,
        notRequired: d.counted.notRequired!,
      })),
    );
  }
  return { cells: r.cells, submissions: r.submissions, drift: r.drift, repaired: repair ? r.drift.length : 0 };
}
