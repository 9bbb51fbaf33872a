/**
 * Forms at run time over HTTP on the local stack (embedded store): an administrator previews an XLSForm (nothing
 * stored), gets located errors for a broken one, publishes a new form and then version 2 with a new required field;
 * records keep the version they were created under, an outbox item made under version 1 still syncs under it, a draft
 * can move to version 2, new records use version 2; the export of both versions lines up columns by field name; a
 * retired form takes no new records; versions, diff and the XLSForm download. File bodies: wrong type 415, not a
 * workbook 422, too large 413.
 */
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ifMatch, login, newId, startTestStack, type Res, type TestStack } from '../support/stack';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const VILLAGE = '420999001001';

let stack: TestStack;
let admin: Client;
let staff: Client;

beforeAll(async () => {
  stack = await startTestStack();
  admin = await login(stack.url, 'admin');
  staff = await login(stack.url, 'staff-housing');
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

type Row = (string | number | null)[];

/** An XLSForm workbook from survey/choices/settings rows (first row = headers). */
async function workbook(sheets: Record<string, Row[]>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const r of rows) ws.addRow(r);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const HEAD = ['type', 'name', 'label::Chinese (zh)', 'label::English (en)', 'required', 'constraint', 'constraint_message::Chinese (zh)', 'constraint_message::English (en)', 'relevant'];
const CHOICES: Row[] = [
  ['list_name', 'name', 'label::Chinese (zh)', 'label::English (en)'],
  ['kinds', 'brick', '砖混', 'Brick'],
  ['kinds', 'frame', '框架', 'Frame'],
];
const settings = (id: string): Row[] => [
  ['form_title', 'form_id', 'default_language'],
  ['房屋快速核查', id, 'zh'],
];

function survey(extra: Row[] = []): Row[] {
  return [
    HEAD,
    ['text', 'building_name', '建筑名称', 'Building name', 'yes'],
    ['integer', 'floors', '层数', 'Floors', 'yes', '. >= 1', '层数至少为 1', 'At least one floor'],
    ['select_one kinds', 'kind', '结构类型', 'Structure', 'no'],
    ['text', 'remark', '备注', 'Remark', 'no'],
    ...extra,
  ];
}

async function upload(c: Client, bytes: Buffer, query = 'sector=housing&part=rural&regionLevel=village', type = XLSX): Promise<Res> {
  const r = await fetch(`${stack.url}/api/forms/xlsform?${query}`, { method: 'POST', headers: { authorization: `Bearer ${c.token}`, 'content-type': type }, body: new Uint8Array(bytes) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

const put = (c: Client, id: string, body: Record<string, unknown>, version?: number, submit = false) =>
  c.put(`/api/submissions/${id}${submit ? '?submit=true' : ''}`, body, version === undefined ? {} : ifMatch(version));

describe('preview and publish', () => {
  const id = `housing.quick-check-${newId().slice(0, 6)}`;

  it('previews an XLSForm as a definition, stores nothing', async () => {
    const r = await upload(admin, await workbook({ survey: survey(), choices: CHOICES, settings: settings(id) }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.definition).toMatchObject({ id, sector: 'housing', part: 'rural', regionLevel: 'village', title: { zh: '房屋快速核查' } });
    expect(r.body.definition.fields.map((f: { name: string }) => f.name)).toEqual(['building_name', 'floors', 'kind', 'remark']);
    expect(r.body.definition.fields[1]).toMatchObject({ type: 'integer', required: true, constraints: [{ expr: '. >= 1', message: { zh: '层数至少为 1', en: 'At least one floor' } }] });
    expect(r.body.current).toBeUndefined();
    expect((await admin.get(`/api/forms/${id}`)).status).toBe(404);
  });

  it.each([
    ['a reference to a missing field', [['text', 'extra', '附加', 'Extra', 'no', null, null, null, '${nowhere} > 1']], 'survey', 6, 'relevant'],
    ['an expression that does not parse', [['integer', 'extra', '附加', 'Extra', 'no', '. >>= 2', '错', 'Wrong']], 'survey', 6, 'constraint'],
    ['a duplicate name', [['text', 'floors', '层数2', 'Floors 2', 'no']], 'survey', 6, 'name'],
    ['a choice list that does not exist', [['select_one colours', 'colour', '颜色', 'Colour', 'no']], 'survey', 6, 'type'],
  ])('refuses %s with a located 422 and stores nothing', async (_what, extra, sheet, row, column) => {
    const r = await upload(admin, await workbook({ survey: survey(extra as Row[]), choices: CHOICES, settings: settings(id) }));
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(r.body.code).toBe('xlsform.invalid');
    const e = r.body.errors.find((x: { sheet: string; row: number }) => x.sheet === sheet && x.row === row);
    expect(e, JSON.stringify(r.body.errors)).toBeDefined();
    expect(e.column.toLowerCase()).toContain(column);
    expect(e.message.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(e.message.en.length).toBeGreaterThan(5);
    expect((await admin.get(`/api/forms/${id}`)).status).toBe(404);
  });

  it('refuses what is not an XLSForm workbook: other content types 415, other bytes 422, too large 413', async () => {
    expect((await upload(admin, Buffer.from('type,name\ntext,a\n'), undefined, 'text/csv')).status).toBe(415);
    const notXlsx = await upload(admin, Buffer.from('this is not a workbook'));
    expect(notXlsx.status).toBe(422);
    expect(notXlsx.body.errors.length).toBeGreaterThan(0);
    expect((await upload(admin, Buffer.alloc(3 * 1024 * 1024, 1))).status).toBe(413);
    expect((await upload(staff, await workbook({ survey: survey(), choices: CHOICES, settings: settings(id) }))).status).toBe(403);
  });

  let v1Draft: string;
  let v1Submitted: string;

  it('publishes version 1 of a new form; staff fill it', async () => {
    const preview = await upload(admin, await workbook({ survey: survey(), choices: CHOICES, settings: settings(id) }));
    const r = await admin.post('/api/forms', { definition: preview.body.definition });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toEqual({ id, version: 1 });
    const listed = (await staff.get('/api/forms?sector=housing')).body.find((f: { id: string }) => f.id === id);
    expect(listed).toMatchObject({ version: 1, part: 'rural' });
    v1Draft = newId();
    expect((await put(staff, v1Draft, { formId: id, regionCode: VILLAGE, data: { building_name: '一号楼' } })).status).toBe(201);
    v1Submitted = newId();
    const s = await put(staff, v1Submitted, { formId: id, regionCode: VILLAGE, data: { building_name: '二号楼', floors: 2, kind: 'brick', remark: '旧版' } }, undefined, true);
    expect(s.status, JSON.stringify(s.body)).toBe(201);
    expect(s.body.formVersion).toBe(1);
  });

  it('version 2 adds a required field and drops one; existing records keep version 1', async () => {
    const v2Survey = [...survey().filter((r) => r[1] !== 'remark'), ['decimal', 'area', '建筑面积', 'Floor area', 'yes']];
    const preview = await upload(admin, await workbook({ survey: v2Survey, choices: CHOICES, settings: settings(id) }));
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.current).toEqual({ version: 1 });
    expect(preview.body.changes.fields).toEqual([
      { name: 'remark', change: 'removed', label: { zh: '备注', en: 'Remark' } },
      { name: 'area', change: 'added', label: { zh: '建筑面积', en: 'Floor area' } },
    ]);
    // A stale preview (someone published meanwhile) is refused; the right one publishes version 2.
    const stale = await admin.post('/api/forms', { definition: preview.body.definition, expectVersion: 0 });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('form.changed');
    const r = await admin.post('/api/forms', { definition: preview.body.definition, expectVersion: 1 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toEqual({ id, version: 2 });
    expect((await admin.get(`/api/forms/${id}`)).body.version).toBe(2);
    expect((await staff.get(`/api/submissions/${v1Draft}`)).body.formVersion).toBe(1);

    const versions = await admin.get(`/api/forms/${id}/versions`);
    expect(versions.body.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const me = (await admin.get('/api/me')).body;
    expect(versions.body[0]).toMatchObject({ publishedBy: me.userId, fields: 4 });
    const diff = await staff.get(`/api/forms/${id}/diff?from=1&to=2`);
    expect(diff.body).toMatchObject({ from: 1, to: 2, fields: [{ name: 'remark', change: 'removed' }, { name: 'area', change: 'added' }] });
  });

  it('a draft made under version 1 stays on it and submits without the new field; an outbox create under version 1 still syncs', async () => {
    const d = (await staff.get(`/api/submissions/${v1Draft}`)).body;
    const upd = await put(staff, v1Draft, { formId: id, regionCode: VILLAGE, data: { building_name: '一号楼', floors: 3, remark: '仍为旧版' } }, d.version, true);
    expect(upd.status, JSON.stringify(upd.body)).toBe(200);
    expect(upd.body).toMatchObject({ status: 'submitted', formVersion: 1, data: { remark: '仍为旧版' } });
    const offline = newId();
    const late = await put(staff, offline, { formId: id, regionCode: VILLAGE, formVersion: 1, data: { building_name: '离线楼', floors: 1 } }, undefined, true);
    expect(late.status, JSON.stringify(late.body)).toBe(201);
    expect(late.body.formVersion).toBe(1);
    const future = await put(staff, newId(), { formId: id, regionCode: VILLAGE, formVersion: 3, data: {} });
    expect(future.status).toBe(422);
    expect(future.body.errors[0].path).toBe('formVersion');
  });

  it('a new record uses version 2, where the new field is required; a draft can move to version 2', async () => {
    const nid = newId();
    const missing = await put(staff, nid, { formId: id, regionCode: VILLAGE, data: { building_name: '三号楼', floors: 4 } }, undefined, true);
    expect(missing.status).toBe(422);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain('data.area');
    const ok = await put(staff, nid, { formId: id, regionCode: VILLAGE, data: { building_name: '三号楼', floors: 4, area: 120.5 } }, undefined, true);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.formVersion).toBe(2);
    // A remark is not a field of version 2: refused there, accepted on a version 1 draft.
    expect((await put(staff, newId(), { formId: id, regionCode: VILLAGE, data: { remark: 'x' } })).status).toBe(422);

    const draft = newId();
    const v1 = await put(staff, draft, { formId: id, regionCode: VILLAGE, formVersion: 1, data: { building_name: '四号楼', remark: '草稿' } });
    expect(v1.body.formVersion).toBe(1);
    const moved = await put(staff, draft, { formId: id, regionCode: VILLAGE, formVersion: 2, data: { building_name: '四号楼', area: 80 } }, v1.body.version);
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ formVersion: 2, data: { building_name: '四号楼', area: 80 } });
    const back = await put(staff, draft, { formId: id, regionCode: VILLAGE, formVersion: 1, data: { building_name: '四号楼' } }, moved.body.version);
    expect(back.status).toBe(422);
    expect((await staff.get(`/api/submissions/${draft}`)).body.formVersion).toBe(2);
  });

  it('the export of both versions lines up columns by field name', async () => {
    const r = await admin.post('/api/exports', { formId: id, format: 'csv' });
    expect(r.status).toBe(202);
    let job = (await admin.get(`/api/exports/${r.body.id}`)).body;
    for (let i = 0; i < 400 && job.status === 'running'; i++) {
      await new Promise((res) => setTimeout(res, 50));
      job = (await admin.get(`/api/exports/${r.body.id}`)).body;
    }
    expect(job.status, JSON.stringify(job)).toBe('done');
    const text = Buffer.from(await (await fetch(new URL(job.url, stack.url))).arrayBuffer()).toString('utf8').slice(1);
    const rows: string[][] = parseCsv(text);
    const head = rows[0]!;
    expect(head.slice(5)).toEqual(['building_name', 'floors', 'kind', 'area', 'remark']);
    const byName = new Map(rows.slice(1).map((r) => [r[head.indexOf('building_name')], r]));
    expect(byName.get('一号楼')![head.indexOf('remark')]).toBe('仍为旧版');
    expect(byName.get('一号楼')![head.indexOf('_form_version')]).toBe('1');
    expect(byName.get('三号楼')![head.indexOf('area')]).toBe('120.5');
    expect(byName.get('三号楼')![head.indexOf('_form_version')]).toBe('2');
  });

  it('a new version may not change the sector, unit or region level; a bad definition is a 422 with paths; nothing is published', async () => {
    const cur = (await admin.get(`/api/forms/${id}`)).body;
    const moved = await admin.post('/api/forms', { definition: { ...cur, sector: 'forestry', part: 'fuel' } });
    expect(moved.status).toBe(409);
    expect(moved.body.code).toBe('form.immutable');
    expect(moved.body.errors.map((e: { path: string }) => e.path)).toEqual(['definition.sector']);
    const bad = await admin.post('/api/forms', { definition: { ...cur, fields: [...cur.fields, { type: 'integer', name: 'Bad-Name', label: { zh: '坏', en: 'Bad' } }] } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toMatch(/^definition\.fields\.4/);
    expect((await admin.get(`/api/forms/${id}`)).body.version).toBe(2);
  });

  it('any version downloads as an XLSForm that previews back to the same definition', async () => {
    for (const v of [1, 2]) {
      const r = await fetch(`${stack.url}/api/forms/${id}/xlsform?version=${v}`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(XLSX);
      expect(r.headers.get('content-disposition')).toContain(`${id}-v${v}.xlsx`);
      const back = await upload(admin, Buffer.from(await r.arrayBuffer()), 'sector=housing');
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      const original = (await admin.get(`/api/forms/${id}/versions/${v}`)).body;
      expect({ ...back.body.definition, version: v }).toEqual(original);
    }
    expect((await admin.get(`/api/forms/${id}/xlsform?version=9`)).status).toBe(404);
  });

  it('a retired form takes no new records; its drafts still complete; it can come back', async () => {
    const draft = newId();
    const d = await put(staff, draft, { formId: id, regionCode: VILLAGE, data: { building_name: '五号楼' } });
    expect(d.status).toBe(201);
    const r = await admin.post(`/api/forms/${id}/retire`, { retired: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, retired: true });
    expect((await staff.get('/api/forms')).body.find((f: { id: string }) => f.id === id).retired).toBe(true);
    const refused = await put(staff, newId(), { formId: id, regionCode: VILLAGE, data: { building_name: '六号楼' } });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('form.retired');
    const done = await put(staff, draft, { formId: id, regionCode: VILLAGE, data: { building_name: '五号楼', floors: 1, area: 50 } }, d.body.version, true);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((await staff.post(`/api/forms/${id}/retire`, { retired: false })).status).toBe(403);
    expect((await admin.post(`/api/forms/${id}/retire`, { retired: 'no' })).status).toBe(400);
    expect((await admin.post(`/api/forms/${id}/retire`, { retired: false })).body.retired).toBeUndefined();
    expect((await put(staff, newId(), { formId: id, regionCode: VILLAGE, data: { building_name: '六号楼' } })).status).toBe(201);
  });
});
