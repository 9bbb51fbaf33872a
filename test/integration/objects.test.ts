/**
 * Survey objects over HTTP on the real local stack (embedded store; the stores themselves are held to one behaviour
 * by the conformance suite): import with located errors, re-import without duplicates, closing objects, a record per
 * object, the cell's progress from the list, assignments, authorization, and region boundaries.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, catalogForm } from '../../functions/domain/catalog/index';
import type { FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { ifMatch, login, newId, startTestStack, type Client, type TestStack } from '../support/stack';

const FORM = 'housing.rural-house';
const VILLAGE = '420999001002';
const TOWNSHIP = '420999001000';
const OUTSIDE_VILLAGE = '420999002001';

const def = catalogForm(FORM) as FormDefinition;
const entry = CATALOG.find((e) => e.definition.id === FORM)!;
const answers = (() => {
  const d = generateSample(def, entry.sample, { regionCode: VILLAGE }) as Record<string, unknown>;
  delete d.photos;
  return d;
})();

let stack: TestStack;
let admin: Client;
let staff: Client;
let reviewer: Client;
let otherStaff: Client;

beforeAll(async () => {
  stack = await startTestStack();
  [admin, staff, reviewer, otherStaff] = await Promise.all([login(stack.url, 'admin'), login(stack.url, 'staff-housing'), login(stack.url, 'reviewer-housing'), login(stack.url, 'staff-emergency')]);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const csv = (rows: string[][]) => ['code,name,region_code,lat,lng', ...rows.map((r) => r.join(','))].join('\n');
const preview = (c: Client, body: string | Uint8Array<ArrayBuffer>, type = 'text/csv', formId = FORM) =>
  fetch(`${stack.url}/api/objects/import?formId=${encodeURIComponent(formId)}`, {
    method: 'POST',
    headers: { 'content-type': type, authorization: `Bearer ${(c as unknown as { token: string }).token}` },
    body,
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

async function listAll(c: Client, query: string) {
  const items: { id: string; code: string; status: string; name: string; assignee?: string; submissionId?: string }[] = [];
  let cursor: string | undefined;
  do {
    const r = await c.get(`/api/objects?${query}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status).toBe(200);
    items.push(...r.body.items);
    cursor = r.body.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

async function cell(regionCode: string) {
  const r = await admin.get(`/api/progress?region=${regionCode}`);
  expect(r.status).toBe(200);
  const housing = r.body.sectors.find((s: { sector: string }) => s.sector === 'housing');
  for (const p of housing.parts) for (const f of p.forms) if (f.formId === FORM) return f.total;
  throw new Error('no cell');
}

const GOOD = [
  ['H001', '东湖村1组张家', VILLAGE, '30.61', '114.31'],
  ['H002', '东湖村1组李家', VILLAGE, '30.612', '114.312'],
  ['H003', '东湖村2组王家', VILLAGE, '', ''],
  ['H004', '东湖村2组赵家', VILLAGE, '30.615', '114.315'],
  ['H005', '东湖村3组刘家', VILLAGE, '30.616', '114.316'],
];

describe('object import', () => {
  it('bad rows come back located (row, column, code) and nothing is stored; commit is refused', async () => {
    const r = await preview(
      admin,
      csv([
        GOOD[0]!,
        ['H010', '无此村', '420999009001', '30.6', '114.3'],
        ['H001', '重复编码', VILLAGE, '30.6', '114.3'],
        ['H011', '经纬度填反', VILLAGE, '114.3', '30.6'],
        ['H012', '乡镇级', TOWNSHIP, '30.6', '114.3'],
        ['H013', '', VILLAGE, '30.6', '114.3'],
        ['H 14', '坏编码', VILLAGE, '30.6', '114.3'],
        ['H015', '只有纬度', VILLAGE, '30.6', ''],
      ]),
    );
    expect(r.status).toBe(200);
    expect(r.body.rows).toBe(8);
    expect(r.body.valid).toBe(1);
    expect(r.body.errors.map((e: { row: number; column: string; code: string }) => [e.row, e.column, e.code])).toEqual([
      [3, 'region_code', 'region.unknown'],
      [4, 'code', 'code.duplicate'],
      [5, 'lat', 'location.outside-china'],
      [6, 'region_code', 'region.level'],
      [7, 'name', 'name.missing'],
      [8, 'code', 'code.invalid'],
      [9, 'lng', 'location.invalid'],
    ]);
    expect(r.body.errors[1].message.zh).toContain('第2行');
    const commit = await admin.post(`/api/objects/import/${r.body.id}/commit`);
    expect(commit.status).toBe(422);
    expect(commit.body.code).toBe('object-import.invalid');
    expect(await listAll(admin, `formId=${FORM}&regionCode=${VILLAGE}`)).toEqual([]);
  });

  it('a clean list commits; importing it again creates nothing; a changed name is an update', async () => {
    const first = await preview(admin, csv(GOOD));
    expect([first.status, first.body.errorCount, first.body.counts]).toEqual([200, 0, { create: 5, update: 0, unchanged: 0 }]);
    expect(first.body.sample).toHaveLength(5);
    const before = await cell(VILLAGE);
    const c1 = await admin.post(`/api/objects/import/${first.body.id}/commit`);
    expect([c1.status, c1.body]).toEqual([200, { created: 5, updated: 0, unchanged: 0 }]);
    // The same commit sent again (a retry) answers the same and writes nothing more.
    expect((await admin.post(`/api/objects/import/${first.body.id}/commit`)).body).toEqual({ created: 5, updated: 0, unchanged: 0 });
    const again = await preview(admin, csv(GOOD));
    expect(again.body.counts).toEqual({ create: 0, update: 0, unchanged: 5 });
    expect((await admin.post(`/api/objects/import/${again.body.id}/commit`)).body).toEqual({ created: 0, updated: 0, unchanged: 5 });
    const renamed = GOOD.map((r) => (r[0] === 'H005' ? ['H005', '东湖村3组刘家老屋', ...r.slice(2)] : r));
    const third = await preview(admin, csv(renamed));
    expect((await admin.post(`/api/objects/import/${third.body.id}/commit`)).body).toEqual({ created: 0, updated: 1, unchanged: 4 });
    const listed = await listAll(admin, `formId=${FORM}&regionCode=${VILLAGE}`);
    expect(listed.map((o) => o.code)).toEqual(['H001', 'H002', 'H003', 'H004', 'H005']);
    expect(listed.find((o) => o.code === 'H005')!.name).toBe('东湖村3组刘家老屋');
    // The cell's target now comes from the list: 5 objects, none closed yet.
    const after = await cell(VILLAGE);
    expect([after.target, after.listed, after.notRequired, after.pct]).toEqual([5, 5, 0, 0]);
    expect(before.target).not.toBe(5);
  });

  it('a long list is written over several requests, each answering 202 with its progress, until the result; nothing twice', async () => {
    const village = '420999001003';
    const rows = Array.from({ length: 130 }, (_, i) => [`L${String(i).padStart(4, '0')}`, `长名录${i}`, village, '30.6', '114.3']);
    const p = await preview(admin, csv(rows));
    expect(p.body.counts).toEqual({ create: 130, update: 0, unchanged: 0 });
    const before = await cell(village);
    process.env.OBJECT_COMMIT_BUDGET_MS = '1';
    const answers: { status: number; body: { committed?: number; total?: number; created?: number } }[] = [];
    try {
      for (let n = 0; n < 10; n++) {
        const r = await admin.post(`/api/objects/import/${p.body.id}/commit`);
        answers.push(r);
        if (r.status !== 202) break;
      }
    } finally {
      delete process.env.OBJECT_COMMIT_BUDGET_MS;
    }
    // One batch of 40 per request at the smallest budget: 40, 80, 120 written, then the last 10 and the result.
    expect(answers.map((a) => [a.status, a.body.committed ?? null])).toEqual([
      [202, 40],
      [202, 80],
      [202, 120],
      [200, null],
    ]);
    expect(answers[0]!.body).toMatchObject({ state: 'committing', total: 130, created: 40 });
    expect(answers.at(-1)!.body).toEqual({ created: 130, updated: 0, unchanged: 0 });
    expect((await admin.get(`/api/objects/import/${p.body.id}`)).body.result).toEqual({ created: 130, updated: 0, unchanged: 0 });
    expect((await listAll(admin, `formId=${FORM}&regionCode=${village}&q=L0`)).length).toBe(130);
    const after = await cell(village);
    expect([after.listed - (before.listed ?? 0), after.target]).toEqual([130, 130]);
  });

  it('reads XLSX with Chinese headers and GeoJSON points, with rows located the same way', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('名录');
    ws.addRow(['编码', '名称', '行政区划代码', '纬度', '经度']);
    ws.addRow(['X001', '表格导入一', VILLAGE, 30.6, 114.3]);
    ws.addRow(['X002', '表格导入二', '420999009001', 30.6, 114.3]);
    const xlsx = new Uint8Array(await wb.xlsx.writeBuffer()) as Uint8Array<ArrayBuffer>;
    const x = await preview(admin, xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect([x.status, x.body.valid]).toEqual([200, 1]);
    expect(x.body.errors.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([[3, 'region.unknown']]);
    const geo = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: 'G001', name: '点一', region_code: VILLAGE }, geometry: { type: 'Point', coordinates: [114.3, 30.6] } },
        { type: 'Feature', properties: { code: 'G002', name: '点二', region_code: VILLAGE }, geometry: { type: 'Point', coordinates: [30.6, 114.3] } },
      ],
    };
    const g = await preview(admin, JSON.stringify(geo), 'application/geo+json');
    expect(g.body.errors.map((e: { row: number; code: string }) => [e.row, e.code])).toEqual([[2, 'location.outside-china']]);
    expect(g.body.sample[0]).toMatchObject({ code: 'G001', location: { lat: 30.6, lng: 114.3 } });
  });

  it('an unreadable file, an unknown table and a staff member are refused with a clear error', async () => {
    expect((await preview(admin, 'just some words')).body.errors[0].code).toBe('file.columns');
    const notObjects = await preview(admin, csv(GOOD), 'text/csv', 'emergency.county-overview-none');
    expect(notObjects.status).toBe(422);
    expect(notObjects.body.errors[0].path).toBe('formId');
    expect((await preview(staff, csv(GOOD))).status).toBe(403);
  });
});

describe('closing objects and the progress of their cell', () => {
  const id = (code: string) => `${FORM}~${code}`;

  it('not-required counts as done, duplicate leaves the target; If-Match and a note are required', async () => {
    const o = await admin.get(`/api/objects/${encodeURIComponent(id('H004'))}`);
    expect(o.status).toBe(200);
    expect(o.headers.get('etag')).toBe(`"${o.body.version}"`);
    const path = `/api/objects/${encodeURIComponent(id('H004'))}/status`;
    expect((await admin.post(path, { status: 'not-required', note: '已拆除' })).status).toBe(428);
    expect((await admin.post(path, { status: 'not-required', note: '已拆除' }, ifMatch(o.body.version + 5))).status).toBe(412);
    const noNote = await admin.post(path, { status: 'not-required', note: '' }, ifMatch(o.body.version));
    expect([noNote.status, noNote.body.errors[0].path]).toEqual([422, 'note']);
    expect((await admin.post(path, { status: 'surveyed', note: 'x' }, ifMatch(o.body.version))).status).toBe(422);
    const closed = await admin.post(path, { status: 'not-required', note: '已拆除' }, ifMatch(o.body.version));
    expect([closed.status, closed.body.status, closed.body.note]).toEqual([200, 'not-required', '已拆除']);
    // A retry of the same change is answered as that success.
    expect((await admin.post(path, { status: 'not-required', note: '已拆除' }, ifMatch(o.body.version))).status).toBe(200);
    const dup = await admin.get(`/api/objects/${encodeURIComponent(id('H005'))}`);
    expect((await reviewer.post(`/api/objects/${encodeURIComponent(id('H005'))}/status`, { status: 'duplicate', note: '与H001重复' }, ifMatch(dup.body.version))).status).toBe(200);
    // 5 listed, 1 duplicate → target 4; 1 not required → done 1 of 4.
    const c = await cell(VILLAGE);
    expect([c.target, c.listed, c.notRequired, c.surveyed, c.pct, c.remaining]).toEqual([4, 4, 1, 0, 25, 3]);
  });

  it('a typed target no longer applies where a list exists: the target list shows it, and setting one is refused', async () => {
    const listed = (await admin.get(`/api/targets?formId=${FORM}`)).body.find((c: { regionCode: string }) => c.regionCode === VILLAGE);
    expect(listed.listed).toBe(4);
    const other = (await admin.get(`/api/targets?formId=${FORM}`)).body.find((c: { regionCode: string }) => c.regionCode === '420999001001');
    expect(other.listed).toBeUndefined();
    const refused = await admin.put('/api/targets', { targets: [{ formId: FORM, regionCode: '420999001001', target: 30 }, { formId: FORM, regionCode: VILLAGE, target: 30 }] });
    expect([refused.status, refused.body.errors.map((e: { path: string }) => e.path)]).toEqual([422, ['targets[1].target']]);
    expect((await cell(VILLAGE)).target).toBe(4);
    expect((await admin.get(`/api/targets?formId=${FORM}`)).body.find((c: { regionCode: string }) => c.regionCode === '420999001001').target).not.toBe(30);
  });

  it('a record names its object: a second live record is 409, the object of another table is 422; approval and voiding move the cell', async () => {
    const sid = newId();
    const body = { formId: FORM, regionCode: VILLAGE, data: answers, objectId: id('H001') };
    const created = await staff.put(`/api/submissions/${sid}`, body);
    expect(created.status).toBe(201);
    expect(created.body.objectId).toBe(id('H001'));
    // The same create retried is a replay, not a conflict with its own object.
    expect((await staff.put(`/api/submissions/${sid}`, body)).status).toBe(201);
    const o = (await admin.get(`/api/objects/${encodeURIComponent(id('H001'))}`)).body;
    expect([o.status, o.submissionId]).toEqual(['surveyed', sid]);

    const second = await staff.put(`/api/submissions/${newId()}`, body);
    expect([second.status, second.body.code]).toEqual([409, 'object.taken']);
    const closed = await staff.put(`/api/submissions/${newId()}`, { ...body, objectId: id('H004') });
    expect([closed.status, closed.body.code]).toEqual([409, 'object.taken']);
    const wrong = await staff.put(`/api/submissions/${newId()}`, { ...body, objectId: 'emergency.school~H001' });
    expect([wrong.status, wrong.body.errors[0].path]).toEqual([422, 'objectId']);
    const moved = await staff.put(`/api/submissions/${sid}`, { ...body, objectId: id('H002') }, ifMatch(created.body.version));
    expect(moved.status).toBe(409);
    const closeSurveyed = await admin.post(`/api/objects/${encodeURIComponent(id('H001'))}/status`, { status: 'not-required', note: 'x' }, ifMatch(o.version));
    expect([closeSurveyed.status, closeSurveyed.body.code]).toEqual([409, 'object.surveyed']);

    let c = await cell(VILLAGE);
    expect([c.target, c.surveyed, c.pct]).toEqual([4, 1, 25]);
    const submitted = await staff.post(`/api/submissions/${sid}/submit`, undefined, ifMatch(created.body.version));
    expect(submitted.status).toBe(200);
    const approved = await reviewer.post(`/api/submissions/${sid}/review`, { decision: 'approve' }, ifMatch(submitted.body.version));
    expect(approved.status).toBe(200);
    c = await cell(VILLAGE);
    expect([c.target, c.surveyed, c.approved, c.pct, c.remaining]).toEqual([4, 1, 1, 50, 2]);
    // A record that names no object does not count in a cell whose target comes from the list.
    const plain = newId();
    expect((await staff.put(`/api/submissions/${plain}?submit=true`, { formId: FORM, regionCode: VILLAGE, data: answers })).status).toBe(201);
    const s2 = (await staff.get(`/api/submissions/${plain}`)).body;
    expect((await reviewer.post(`/api/submissions/${plain}/review`, { decision: 'approve' }, ifMatch(s2.version))).status).toBe(200);
    expect((await cell(VILLAGE)).pct).toBe(50);

    const voided = await admin.post(`/api/submissions/${sid}/admin`, { action: 'void', note: '重复录入' }, ifMatch(approved.body.version));
    expect(voided.status).toBe(200);
    const released = (await admin.get(`/api/objects/${encodeURIComponent(id('H001'))}`)).body;
    expect([released.status, released.submissionId]).toEqual(['pending', undefined]);
    c = await cell(VILLAGE);
    expect([c.target, c.surveyed, c.pct]).toEqual([4, 0, 25]);
    // Released, the object takes a new record.
    expect((await staff.put(`/api/submissions/${newId()}`, body)).status).toBe(201);
    // Every object counter written along the way equals a recount from the lists and the records.
    const reconcile = await admin.post('/api/admin/reconcile', {});
    expect([reconcile.status, reconcile.body.drift]).toEqual([200, []]);
  });

  it('reconcile finds and repairs object counters that drifted', async () => {
    const cellBefore = await cell(VILLAGE);
    await stack.ports.progress.setCounts('420999000000', [
      { formId: FORM, regionCode: VILLAGE, target: 0, draft: cellBefore.draft, submitted: cellBefore.submitted, returned: cellBefore.returned, approved: cellBefore.approved, objects: 99, listed: 99, surveyed: 0, surveyedApproved: 0, notRequired: 0 },
    ]);
    expect((await cell(VILLAGE)).target).toBe(99);
    const found = await admin.post('/api/admin/reconcile', {});
    expect(found.body.drift).toEqual([expect.objectContaining({ formId: FORM, regionCode: VILLAGE, stored: expect.objectContaining({ objects: 99 }), counted: expect.objectContaining({ objects: 5, listed: 4 }) })]);
    expect((await admin.post('/api/admin/reconcile', { repair: true })).body.repaired).toBe(1);
    expect(await cell(VILLAGE)).toEqual(cellBefore);
  });
});

describe('assignments, field additions and authorization', () => {
  const id = (code: string) => `${FORM}~${code}`;

  it('a reviewer assigns objects or a whole village to a staff member of the sector, who sees them as tasks', async () => {
    const me = (await staff.get('/api/me')).body;
    const one = await reviewer.post('/api/objects/assign', { ids: [id('H002')], assignee: me.userId });
    expect([one.status, one.body]).toEqual([200, { assigned: 1 }]);
    expect((await listAll(staff, 'assignee=me')).map((o) => o.code)).toEqual(['H002']);
    const village = await admin.post('/api/objects/assign', { formId: FORM, regionCode: VILLAGE, assignee: me.userId });
    expect(village.body.assigned).toBe(4);
    expect((await listAll(staff, 'assignee=me')).map((o) => o.code)).toEqual(['H001', 'H002', 'H003', 'H004', 'H005']);
    const otherSector = (await otherStaff.get('/api/me')).body.userId;
    const refused = await reviewer.post('/api/objects/assign', { ids: [id('H003')], assignee: otherSector });
    expect([refused.status, refused.body.errors[0].path]).toEqual([422, 'assignee']);
    expect((await staff.post('/api/objects/assign', { ids: [id('H003')], assignee: null })).status).toBe(403);
    expect((await reviewer.post('/api/objects/assign', { assignee: null })).status).toBe(422);
    const back = await reviewer.post('/api/objects/assign', { ids: [id('H003')], assignee: null });
    expect(back.body.assigned).toBe(1);
    expect((await listAll(staff, 'assignee=me')).map((o) => o.code)).not.toContain('H003');
  });

  it('staff add an object found in the field in their own regions only; lists and reads are scoped by sector', async () => {
    const found = await staff.post('/api/objects', { formId: FORM, regionCode: VILLAGE, name: '新发现的房屋', found: true, location: { lat: 30.62, lng: 114.32 } });
    expect(found.status).toBe(201);
    expect([found.body.found, found.body.status, found.body.code]).toEqual([true, 'pending', expect.stringMatching(/^N/)]);
    expect((await staff.post('/api/objects', { formId: FORM, regionCode: OUTSIDE_VILLAGE, name: '别处', found: true })).status).toBe(403);
    expect((await staff.post('/api/objects', { formId: FORM, regionCode: VILLAGE, name: '名录对象', code: 'H900' })).status).toBe(403);
    const outside = await staff.post('/api/objects', { formId: FORM, regionCode: VILLAGE, name: '境外', found: true, location: { lat: 1, lng: 1 } });
    expect([outside.status, outside.body.errors[0].path]).toEqual([422, 'location']);
    const taken = await admin.post('/api/objects', { formId: FORM, regionCode: VILLAGE, name: '重号', code: 'H001' });
    expect([taken.status, taken.body.code]).toEqual([409, 'object.exists']);
    expect((await otherStaff.get(`/api/objects/${encodeURIComponent(id('H002'))}`)).status).toBe(404);
    expect((await otherStaff.get(`/api/objects?formId=${FORM}`)).status).toBe(404);
    expect((await otherStaff.get('/api/objects')).body.items.filter((o: { formId: string }) => o.formId === FORM)).toEqual([]);
    expect((await staff.get('/api/objects?regionCode=420999002000')).status).toBe(403);
    expect((await staff.get('/api/objects?limit=5000')).status).toBe(400);
    expect((await staff.get('/api/objects?status=closed')).status).toBe(400);
    expect((await staff.get('/api/objects?cursor=forged')).status).toBe(400);
    const text = await staff.get(`/api/objects?formId=${FORM}&q=${encodeURIComponent('李家')}`);
    expect(text.body.items.map((o: { code: string }) => o.code)).toEqual(['H002']);
  });
});

describe('region boundaries', () => {
  const square = (x: number, y: number, d = 0.01) => [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]];

  it('features match regions by code; unknown codes are listed; a broken geometry refuses the whole file', async () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: VILLAGE }, geometry: { type: 'Polygon', coordinates: square(114.3, 30.6) } },
        { type: 'Feature', properties: { code: '429999001001' }, geometry: { type: 'Polygon', coordinates: square(114.4, 30.6) } },
      ],
    };
    const put = await admin.put('/api/regions/boundaries', fc);
    expect([put.status, put.body]).toEqual([200, { matched: 1, unmatched: ['429999001001'] }]);
    const broken = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: { code: TOWNSHIP }, geometry: { type: 'Polygon', coordinates: square(114.3, 30.6, 0.1) } },
        { type: 'Feature', properties: { code: VILLAGE }, geometry: { type: 'Polygon', coordinates: [[[114.3, 30.6], [114.31, 30.6], [114.31, 30.61], [114.3, 30.61]]] } },
        { type: 'Feature', properties: { code: '420999001003' }, geometry: { type: 'Polygon', coordinates: square(500000, 3400000) } },
      ],
    };
    const bad = await admin.put('/api/regions/boundaries', broken);
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['features[1].geometry', 'features[2].geometry']);
    const townships = await admin.get('/api/regions/boundaries?level=township');
    expect(townships.body.features).toEqual([]);
    const villages = await staff.get('/api/regions/boundaries?level=village');
    expect(villages.body.features.map((f: { properties: { code: string; level: string } }) => [f.properties.code, f.properties.level])).toEqual([[VILLAGE, 'village']]);
    expect(villages.body.features[0].properties.name.zh).toBeTruthy();
    expect((await staff.put('/api/regions/boundaries', fc)).status).toBe(403);
    expect((await admin.get('/api/regions/boundaries?level=province')).status).toBe(400);
  });
});
