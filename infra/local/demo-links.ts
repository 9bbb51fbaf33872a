/**
 * The demo records of object tables survey listed objects: each live demo record is tied to a pending object of its
 * cell (in code order), through the same claim a new record makes (the record's write, its object and the cell's
 * counters in one transaction). A record with no object left in its cell gets one "found in the field" (新增), as a
 * census office adds objects its list missed. Run once, after seedDemoGeo and seedDemoRecords.
 */
import type { Ports, Submission } from '../../functions/app/ports';
import { objectCountDelta, objectEffect, objectId, type SurveyObject } from '../../functions/domain/objects';
import { DEMO_COUNTY } from './demo-district';

export async function linkDemoRecords(ports: Ports): Promise<{ linked: number; found: number }> {
  let linked = 0;
  let found = 0;
  const forms = (await ports.directory.listForms()).map((f) => f.id);
  for (const formId of forms) {
    const def = await ports.directory.currentForm(formId);
    if (def?.unit !== 'object') continue;
    const records: Submission[] = [];
    let cursor: string | undefined;
    do {
      const page = await ports.submissions.list({ formId, regions: [DEMO_COUNTY], limit: 500, ...(cursor ? { cursor } : {}) });
      records.push(...page.items.filter((s) => s.status !== 'voided' && !s.objectId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (!records.length) continue;
    const free = new Map<string, SurveyObject[]>();
    cursor = undefined;
    do {
      const page = await ports.objects.list({ formIds: [formId], regions: [DEMO_COUNTY], status: 'pending', limit: 500, ...(cursor ? { cursor } : {}) });
      for (const o of page.items) if (!o.submissionId) free.set(o.regionCode, [...(free.get(o.regionCode) ?? []), o]);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    for (const s of records) {
      let o = free.get(s.regionCode)?.shift();
      if (!o) {
        const code = `N${s.id.slice(0, 8).toUpperCase()}`;
        o = {
          id: objectId(formId, code),
          formId,
          regionCode: s.regionCode,
          code,
          name: recordName(s) ?? code,
          status: 'pending',
          found: true,
          version: 1,
          createdAt: s.createdAt,
          createdBy: s.createdBy,
          updatedAt: s.createdAt,
          updatedBy: s.createdBy,
        };
        await ports.objects.writeObjects([{ next: o, expect: { create: true } }], [{ formId, regionCode: s.regionCode, delta: objectCountDelta(null, 'pending') }]);
        found++;
      }
      const effect = objectEffect(o.id, null, s.status)!;
      const counters = { surveyed: 1, ...(s.status === 'approved' ? { surveyedApproved: 1 } : {}) };
      await ports.submissions.write({
        next: { ...s, objectId: o.id, version: s.version + 1 },
        expect: { version: s.version, status: s.status },
        counters: {},
        audit: [],
        object: { ...effect, link: 'claim', counters },
      });
      linked++;
    }
  }
  return { linked, found };
}

function recordName(s: Submission): string | undefined {
  for (const k of ['name', 'object_name', 'householder', 'school_name', 'shelter_name']) {
    const v = s.data[k];
    if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 200);
  }
  return undefined;
}
