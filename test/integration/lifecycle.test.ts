/**
 * The whole life of a submission, per sector, over real HTTP against DynamoDB Local and the S3 emulator:
 * draft → update → submit failing a QC rule (422 with the path, nothing written) → fix → submit → return with a note →
 * edit → resubmit → approve; progress counts and pct after each step; history entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, type CatalogEntry } from '../../functions/domain/catalog/index';
import { allFields, type FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { SECTOR_IDS } from '../../functions/domain/sectors';
import { Client, ifMatch, login, newId, startTestStack, uploadAttachment, type TestStack } from '../support/stack';

const COUNTY = '420999000000';
const TOWNSHIP = '420999001000';
const VILLAGE = '420999001001';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** A table of the sector that staff of the first township can file, with a rule (not a mere range) to break. */
function pickEntry(sector: string): CatalogEntry {
  const e = CATALOG.find(
    (x) => x.definition.sector === sector && x.definition.regionLevel !== 'county' && x.violations.some((v) => v.code === 'rule' || v.code === 'constraint'),
  );
  if (!e) throw new Error(`no fileable table with rules for ${sector}`);
  return e;
}

/** Replace every attachment reference in the sample with a file really uploaded through the API. */
async function withUploads(c: Client, id: string, def: FormDefinition, data: Record<string, unknown>) {
  const out = { ...data };
  for (const { field, parent } of allFields(def)) {
    if ((field.type !== 'photo' && field.type !== 'file') || parent || out[field.name] === undefined) continue;
    const one = () => uploadAttachment(c, id, field.name, field.accept[0]!);
    out[field.name] = field.multiple ? [await one(), await one()] : await one();
  }
  return out;
}

function withoutAttachments(def: FormDefinition, data: Record<string, unknown>) {
  const out = { ...data };
  for (const { field, parent } of allFields(def)) {
    if (field.type !== 'photo' && field.type !== 'file') continue;
    if (!parent) delete out[field.name];
    else if (Array.isArray(out[parent.name])) out[parent.name] = (out[parent.name] as Record<string, unknown>[]).map((r) => {
      const { [field.name]: _drop, ...rest } = r;
      return rest;
    });
  }
  return out;
}

async function formCounts(c: Client, sector: string, formId: string) {
  const r = await c.get(`/api/progress?region=${COUNTY}&sector=${sector}`);
  expect(r.status).toBe(200);
  for (const s of r.body.sectors) for (const p of s.parts) for (const f of p.forms) if (f.formId === formId) return f.total;
  throw new Error(`form ${formId} missing from progress`);
}

describe.each(SECTOR_IDS)('life of a %s submission', (sector) => {
  it('goes draft → submit (422) → submit → return → edit → resubmit → approve, with exact progress and history', async () => {
    const entry = pickEntry(sector);
    const def = entry.definition;
    const region = def.regionLevel === 'village' ? VILLAGE : TOWNSHIP;
    const staff = await login(stack.url, `staff-${sector}`);
    const reviewer = await login(stack.url, `reviewer-${sector}`);
    const admin = await login(stack.url, 'admin');
    const id = newId();
    const before = await formCounts(admin, sector, def.id);

    // 1. create a draft
    let r = await staff.put(`/api/submissions/${id}`, { formId: def.id, regionCode: region, data: {} });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.headers.get('etag')).toBe('"1"');
    expect(r.body).toMatchObject({ id, formId: def.id, formVersion: def.version, sector, regionCode: region, status: 'draft', version: 1 });
    expect(await formCounts(admin, sector, def.id)).toMatchObject({ draft: before.draft + 1 });

    // 2. save answers that break a QC rule: drafts accept them
    const v = entry.violations.find((x) => x.code === 'rule' || x.code === 'constraint')!;
    r = await staff.put(`/api/submissions/${id}`, { formId: def.id, regionCode: region, data: withoutAttachments(def, generateSample(def, { ...entry.sample, ...v.patch })) }, ifMatch(1));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.version).toBe(2);

    // 3. submit fails with the rule's path; nothing is written
    r = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(2));
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(v.path);
    expect((await staff.get(`/api/submissions/${id}`)).body).toMatchObject({ status: 'draft', version: 2 });

    // 4. fix (with photos uploaded to storage) and submit
    const complete = await withUploads(staff, id, def, generateSample(def, entry.sample));
    r = await staff.put(`/api/submissions/${id}`, { formId: def.id, regionCode: region, data: complete }, ifMatch(2));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    r = await staff.post(`/api/submissions/${id}/submit`, undefined, ifMatch(3));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'submitted', version: 4 });
    expect(await formCounts(admin, sector, def.id)).toMatchObject({ draft: before.draft, submitted: before.submitted + 1 });

    // 5. the reviewer returns it with a note
    r = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'return' }, ifMatch(4));
    expect(r.status).toBe(422);
    expect(r.body.errors[0].path).toBe('note');
    r = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'return', note: '请核实面积' }, ifMatch(4));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'returned', version: 5, reviewNote: '请核实面积' });
    expect(await formCounts(admin, sector, def.id)).toMatchObject({ submitted: before.submitted, returned: before.returned + 1 });

    // 6. staff sees the note, edits and resubmits in one step
    r = await staff.get(`/api/submissions/${id}`);
    expect(r.body.reviewNote).toBe('请核实面积');
    r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: def.id, regionCode: region, data: complete }, ifMatch(5));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'submitted', version: 6 });

    // 7. the reviewer approves; pct follows the capped formula
    r = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve', note: '' }, ifMatch(6));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('approved');
    const after = await formCounts(admin, sector, def.id);
    expect(after).toMatchObject({ draft: before.draft, submitted: before.submitted, returned: before.returned, approved: before.approved + 1, target: before.target });
    const expected = after.target === 0 ? null : Math.round((1000 * Math.min(after.approved, after.target)) / after.target) / 10;
    expect(after.pct).toBe(expected);
    expect(after.pct).toBeGreaterThan(before.pct ?? 0);

    // 8. history holds every step, oldest first
    r = await admin.get(`/api/submissions/${id}`);
    expect(r.body.history.map((h: { action: string }) => h.action)).toEqual([
      'created', 'updated', 'updated', 'submitted', 'returned', 'updated', 'submitted', 'approved',
    ]);
    expect(r.body.history.find((h: { action: string }) => h.action === 'returned')).toMatchObject({ from: 'submitted', to: 'returned', note: '请核实面积' });
  });
});
