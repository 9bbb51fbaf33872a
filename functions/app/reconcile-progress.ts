/**
 * reconcile-progress — recount every progress cell of a district from the submissions and report drift.
 * With `repair`, cells that drifted get the recounted figures (targets untouched). Run by POST /api/admin/reconcile
 * and by the tests after concurrent load; the transactional writes mean drift should always be zero.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { Cell } from '#domain/progress';
import type { Ports } from './ports';

const STATUSES = ['draft', 'submitted', 'returned', 'approved'] as const;

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
  const stored = await ports.progress.cellsForCounty(county);
  const drift: Drift[] = [];
  const keys = new Set([...counted.keys(), ...stored.map((c) => `${c.formId}#${c.regionCode}`)]);
  for (const k of keys) {
    const a = stored.find((c) => `${c.formId}#${c.regionCode}` === k);
    const b = counted.get(k);
    const pick = (c: Cell | undefined) => Object.fromEntries(STATUSES.map((s) => [s, c ? c[s] : 0]));
    const sa = pick(a);
    const sb = pick(b);
    if (STATUSES.some((s) => sa[s] !== sb[s])) {
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
      r.drift.map((d) => ({ formId: d.formId, regionCode: d.regionCode, target: 0, draft: d.counted.draft!, submitted: d.counted.submitted!, returned: d.counted.returned!, approved: d.counted.approved! })),
    );
  }
  return { cells: r.cells, submissions: r.submissions, drift: r.drift, repaired: repair ? r.drift.length : 0 };
}
