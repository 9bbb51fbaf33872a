/**
 * Data in and out over real HTTP against DynamoDB Local and the S3 emulator:
 *  - exports (CSV, XLSX, GeoJSON) of a form's records, read back with csv-parse and exceljs: BOM, quoting, formula
 *    neutralisation, label + code header rows, choice labels, features; restricted to what the caller may see;
 *  - the import template; a round trip: export from one district, import into a fresh one (a second stack) → the same
 *    records; importing again (CSV, then the XLSX export of the same records) creates nothing new;
 *  - import preview errors per row and column, commit of the valid rows only, the report file, the upload path;
 *  - region and target imports with their preview errors, target history, attesting "none exist here";
 *  - the briefing, whose figures equal /api/progress, and the deadline.
 * The two stacks run one after the other: the local server keeps its ports in a process-wide slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { CATALOG } from '../../functions/domain/catalog/index';
import { allFields, type FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { SECTORS } from '../../functions/domain/sectors';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startLocalStack } from '../../infra/local/stack';
import { getPorts } from '../../functions/http/ports';
import { Client, ifMatch, login, newId, startTestStack, type TestStack } from '../support/stack';

const COUNTY = '420999000000';
const T1 = '420999001000';
const V1 = ['420999001001', '420999001002', '420999001003'];
const V2 = '420999002001';

const entry = CATALOG.find((e) => e.definition.id === 'emergency.school')!;
const def: FormDefinition = entry.definition;

/** A valid school record without attachments, with cells that test quoting and formula neutralisation. */
function schoolData(i: number, name: string): Record<string, unknown> {
  const data = generateSample(def, entry.sample);
  for (const { field, parent } of allFields(def)) if (!parent && (field.type === 'photo' || field.type === 'file')) delete data[field.name];
  data.name = name;
  data.staff = 10 + i;
  return data;
}

// (A leading tab or CR cannot survive: the validator trims text answers. The unit tests cover those two.)
const TRICKY_NAMES = ['=1+2 第一小学', '+86 希望小学', '-5 号分校', '@校区', '逗号,小学', '引号"小学"', '换行\n小学', '青山小学'];

async function waitFor<T extends { status: string }>(c: Client, path: string, busy: string[]): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const r = await c.get(path);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (!busy.includes(r.body.status)) return r.body as T;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`job ${path} did not finish`);
}

async function exportFile(c: Client, body: Record<string, unknown>): Promise<{ job: any; bytes: Buffer }> {
  const r = await c.post('/api/exports', body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  const job = await waitFor<any>(c, `/api/exports/${r.body.id}`, ['running']);
  expect(job.status, JSON.stringify(job)).toBe('done');
  // Absolute on AWS, relative to the API origin on the embedded store (API.md allows both).
  expect(job.url).toMatch(/^(https?:\/\/|\/)/);
  const f = await fetch(new URL(job.url, c.base));
  expect(f.status).toBe(200);
  return { job, bytes: Buffer.from(await f.arrayBuffer()) };
}

async function importFile(c: Client, body: Record<string, unknown>): Promise<any> {
  const r = await c.post('/api/imports', body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return waitFor<any>(c, `/api/imports/${r.body.id}`, ['validating']);
}

async function commit(c: Client, id: string): Promise<any> {
  const r = await c.post(`/api/imports/${id}/commit`);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return waitFor<any>(c, `/api/imports/${id}`, ['committing']);
}

async function listAll(c: Client, query: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const r: any = await c.get(`/api/submissions?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status).toBe(200);
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

/**
 * A second, fresh district in the same process, after the first has stopped. The local login handler keeps the signing
 * key it loaded first, so the new stack is given the same key file; everything else (tables, data, storage) is new.
 */
async function startSecondStack(signingKey: string): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'risk-census-test-b-'));
  const keyFile = join(dataDir, 'keys', 'signing-key.json');
  mkdirSync(dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, signingKey);
  const stack = await startLocalStack({ dataDir, inMemory: true, webRoot: join(dataDir, 'no-web') });
  return {
    ...stack,
    dataDir,
    async close() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let signingKey: string;

/** What district A held, carried over to district B. */
let originals: { id: string; regionCode: string; data: Record<string, unknown> }[] = [];
let csvExport: Buffer;
let xlsxExport: Buffer;

describe('district A: exports', () => {
  let stack: TestStack;
  let admin: Client;
  let staff: Client;
  let reviewer: Client;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = await login(stack.url, 'admin');
    staff = await login(stack.url, 'staff-emergency');
    reviewer = await login(stack.url, 'reviewer-emergency');
    // Staff of the first township file and the reviewer approves; the admin files two in the second township.
    const rows: { c: Client; region: string; name: string }[] = [
      ...TRICKY_NAMES.map((name, i) => ({ c: staff, region: V1[i % V1.length]!, name })),
      { c: admin, region: V2, name: '柳河中学' },
      { c: admin, region: V2, name: '杨家湾小学' },
    ];
    let i = 0;
    for (const row of rows) {
      const id = newId();
      const r = await row.c.put(`/api/submissions/${id}?submit=true`, { formId: def.id, regionCode: row.region, data: schoolData(i++, row.name) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const a = await reviewer.post(`/api/submissions/${id}/review`, { decision: 'approve', note: '' }, ifMatch(r.body.version));
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      originals.push({ id, regionCode: row.region, data: a.body.data });
    }
    // One record that stays submitted: the status filter must leave it out.
    const r = await staff.put(`/api/submissions/${newId()}?submit=true`, { formId: def.id, regionCode: V1[0], data: schoolData(99, '待审核小学') });
    expect(r.status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    if (stack) signingKey = readFileSync(join(stack.dataDir, 'keys', 'signing-key.json'), 'utf8');
    await stack?.close();
  });

  it('exports approved records as CSV: BOM, header row of field names, RFC 4180 quoting, neutralised formulas, the row count', async () => {
    const { job, bytes } = await exportFile(admin, { formId: def.id, format: 'csv', status: 'approved' });
    csvExport = bytes;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(job.rows).toBe(originals.length);
    const text = bytes.toString('utf8').slice(1);
    const rows: string[][] = parseCsv(text, { relax_column_count: false });
    expect(rows[0]).toEqual(['_id', '_region', '_status', '_form_version', '_updated_at', ...def.fields.map((f) => f.name)]);
    expect(rows.length - 1).toBe(originals.length);
    const nameCol = rows[0]!.indexOf('name');
    const names = rows.slice(1).map((r) => r[nameCol]);
    expect(names).toContain("'=1+2 第一小学");
    expect(names).toContain("'+86 希望小学");
    expect(names).toContain("'-5 号分校");
    expect(names).toContain("'@校区");
    expect(names).toContain('逗号,小学');
    expect(names).toContain('引号"小学"');
    expect(names).toContain('换行\n小学');
    // Quoting in the raw bytes: fields with , " or a line break are enclosed, inner quotes doubled; records end in CRLF.
    expect(text).toContain('"逗号,小学"');
    expect(text).toContain('"引号""小学"""');
    expect(text).toContain('"换行\n小学"');
    expect(text.split('\r\n').length).toBeGreaterThan(originals.length);
    for (const r of rows.slice(1)) expect(r[rows[0]!.indexOf('_status')]).toBe('approved');
  });

  it('exports XLSX with a label row and a code row and choice labels instead of codes', async () => {
    const { job, bytes } = await exportFile(admin, { formId: def.id, format: 'xlsx', status: 'approved' });
    xlsxExport = bytes;
    expect(job.rows).toBe(originals.length);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as never);
    const ws = wb.worksheets[0]!;
    const row = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(row(2)).toEqual(['_id', '_region', '_status', '_form_version', '_updated_at', ...def.fields.map((f) => f.name)]);
    expect(row(1)).toContain('学校名称 *');
    expect(row(1)).toContain('区划代码 *');
    expect(ws.rowCount).toBe(2 + originals.length);
    const typeCol = row(2).indexOf('school_type');
    const field = def.fields.find((f) => f.name === 'school_type')!;
    const labels = field.type === 'select_one' ? field.choices.map((c) => c.label.zh) : [];
    for (let r = 3; r <= ws.rowCount; r++) expect(labels).toContain(row(r)[typeCol]);
  });

  it('exports GeoJSON: a FeatureCollection with one feature per record, geometry and attributes', async () => {
    const { job, bytes } = await exportFile(admin, { formId: def.id, format: 'geojson', status: 'approved' });
    const fc = JSON.parse(bytes.toString('utf8'));
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(job.rows);
    expect(job.rows).toBe(originals.length);
    for (const f of fc.features) {
      expect(f.type).toBe('Feature');
      expect(['Point', 'Polygon']).toContain(f.geometry.type);
      expect(f.properties._status).toBe('approved');
      expect(typeof f.properties.name).toBe('string');
    }
    const ids = fc.features.map((f: any) => f.id).sort();
    expect(ids).toEqual(originals.map((o) => o.id).sort());
  });

  it('exports only what the caller may see: staff of the first township get only its rows; other sectors are refused', async () => {
    const { job, bytes } = await exportFile(staff, { formId: def.id, format: 'csv' });
    const rows: string[][] = parseCsv(bytes.toString('utf8').slice(1));
    const region = rows[0]!.indexOf('_region');
    expect(rows.length - 1).toBe(job.rows);
    expect(job.rows).toBe(TRICKY_NAMES.length + 1); // every staff row, approved or submitted; none of the admin's
    for (const r of rows.slice(1)) expect(r[region]!.startsWith(T1.slice(0, 9))).toBe(true);

    const whole = await exportFile(reviewer, { formId: def.id, format: 'csv' });
    expect(whole.job.rows).toBe(originals.length + 1);

    const other = await login(stack.url, 'staff-housing');
    expect((await other.post('/api/exports', { formId: def.id, format: 'csv' })).status).toBe(403);
    expect((await staff.post('/api/exports', { formId: def.id, format: 'csv', region: '420999002000' })).status).toBe(403);
    const viewer = await login(stack.url, 'viewer');
    expect((await viewer.post('/api/exports', { formId: def.id, format: 'csv' })).status).toBe(403);
    // Someone else's job is not found.
    expect((await other.get(`/api/exports/${job.id}`)).status).toBe(404);
    expect((await staff.post('/api/exports', { formId: def.id, format: 'pdf' })).status).toBe(400);
    expect((await staff.post('/api/exports', { formId: 'emergency.nothing', format: 'csv' })).status).toBe(422);
  });

  it('counts every row it streams: an export of all statuses equals the list API', async () => {
    const listed = await listAll(admin, `formId=${def.id}`);
    const { job } = await exportFile(admin, { formId: def.id, format: 'csv' });
    expect(job.rows).toBe(listed.length);
  });

  it('an export imported back into its own district finds its own records: nothing new, nothing overwritten', async () => {
    const before = (await listAll(admin, `formId=${def.id}`)).length;
    const job = await importFile(admin, { formId: def.id, content: b64(csvExport), fileName: 'back.csv' });
    expect(job.valid, JSON.stringify(job.errors)).toBe(originals.length);
    const done = await commit(admin, job.id);
    expect(done.outcomes).toEqual({ created: 0, unchanged: originals.length, conflict: 0, failed: 0 });
    expect((await listAll(admin, `formId=${def.id}`)).length).toBe(before);
    // Change one cell: that row is a conflict, left as it is, and listed in the report.
    const text = csvExport.toString('utf8').replace('柳河中学', '柳河第二中学');
    const changed = await importFile(admin, { formId: def.id, content: b64(text), fileName: 'back2.csv' });
    const done2 = await commit(admin, changed.id);
    expect(done2.outcomes).toEqual({ created: 0, unchanged: originals.length - 1, conflict: 1, failed: 0 });
    expect(done2.errors).toEqual([expect.objectContaining({ code: 'conflict', column: null })]);
    expect((await listAll(admin, `formId=${def.id}`)).some((s) => s.data.name === '柳河第二中学')).toBe(false);
  });

  it('serves import templates: XLSX with label and code rows and drop-down lists, CSV with both header rows', async () => {
    const x = await staff.get(`/api/forms/${def.id}/template?format=xlsx`);
    expect(x.status).toBe(200);
    expect(x.body.fileName).toMatch(/\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(x.body.content, 'base64') as never);
    const ws = wb.worksheets[0]!;
    const codes = (ws.getRow(2).values as unknown[]).slice(1) as string[];
    expect(codes.slice(0, 2)).toEqual(['_id', '_region']);
    expect(codes).toContain('school_type');
    expect(codes).not.toContain('photos');
    expect((ws.getRow(1).values as unknown[]).slice(1)).toContain('学校名称 *');
    const col = (code: string) => codes.indexOf(code) + 1;
    const choice = ws.getRow(3).getCell(col('school_type')).dataValidation;
    expect(choice?.type).toBe('list');
    const region = ws.getRow(3).getCell(col('_region')).dataValidation;
    expect(region?.type).toBe('list');
    const bool = ws.getRow(3).getCell(col('is_shelter')).dataValidation;
    expect(bool?.formulae?.[0]).toBe('"是,否"');

    const c = await staff.get(`/api/forms/${def.id}/template?format=csv`);
    const text = Buffer.from(c.body.content, 'base64').toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const rows: string[][] = parseCsv(text.slice(1));
    expect(rows[1]).toEqual(codes);
    expect((await (await login(stack.url, 'reviewer-emergency')).get(`/api/forms/${def.id}/template`)).status).toBe(403);
    expect((await staff.get(`/api/forms/housing.rural-house/template`)).status).toBe(403);
  });

  it('writes the briefing from the same figures as /api/progress, naming every sector', async () => {
    // Approve enough of one village's target to get a percentage somewhere.
    const b = await admin.get(`/api/briefing?region=${COUNTY}`);
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    const p = await admin.get(`/api/progress?region=${COUNTY}`);
    expect(b.body.total).toEqual(p.body.total);
    expect(b.body.sectors.map((s: any) => ({ sector: s.sector, total: s.total }))).toEqual(p.body.sectors.map((s: any) => ({ sector: s.sector, total: s.total })));
    expect(b.body.region).toEqual(p.body.region);
    const text: string = b.body.text;
    for (const s of SECTORS) expect(text).toContain(s.system.zh);
    expect(text).toContain(`总体完成${p.body.total.pct.toFixed(1)}%`);
    expect(text).toContain(`${p.body.total.target - p.body.total.remaining}/${p.body.total.target}`);
    const emergency = p.body.sectors.find((s: any) => s.sector === 'emergency').total;
    if (emergency.pct > 0 && emergency.remaining > 0) expect(text).toContain(`应急系统完成${emergency.pct.toFixed(1)}%`);
    expect(text).toMatch(/^截至\d{4}年\d{1,2}月\d{1,2}日，江滨区/);

    const en = await admin.get(`/api/briefing?region=${COUNTY}&lang=en`);
    expect(en.body.text).toMatch(/^As of \d{1,2} \w+ \d{4}, the natural-disaster risk census in Jiangbin District/);
    for (const s of SECTORS) expect(en.body.text.toLowerCase()).toContain(s.system.en);

    // A township's briefing for its staff; the district's is not theirs to read.
    const staffView = await staff.get(`/api/briefing?region=${T1}`);
    expect(staffView.status).toBe(200);
    const staffProgress = await staff.get(`/api/progress?region=${T1}`);
    expect(staffView.body.total).toEqual(staffProgress.body.total);
    expect((await staff.get(`/api/briefing?region=${COUNTY}`)).status).toBe(404);
    expect((await admin.get('/api/briefing?lang=fr')).status).toBe(400);
  });

  it('compares with the last snapshot of an earlier day', async () => {
    const p = (await admin.get(`/api/progress?region=${COUNTY}`)).body;
    const t = p.total;
    // An earlier day's snapshot with nothing done yet (written straight to the store, as the daily snapshot would be).
    const earlier = { ...t, approved: 0, remaining: t.target, pct: 0 };
    await (await getPorts()).progress.putDailySnapshot({ county: COUNTY, date: '2021-11-28', at: '2021-11-28T12:00:00.000Z', total: earlier, sectors: [] });
    const b = (await admin.get(`/api/briefing?region=${COUNTY}`)).body;
    expect(b.previous).toEqual({ date: '2021-11-28', total: earlier });
    expect(b.text).toContain(`与11月28日相比，完成率提高${t.pct.toFixed(1)}个百分点，新增完成${t.target - t.remaining}项。`);
  });

  it('lets an admin set the deadline, which the briefing counts down to', async () => {
    expect((await staff.put('/api/settings/deadline', { date: '2099-12-31' })).status).toBe(403);
    expect((await admin.put('/api/settings/deadline', { date: '2099-02-30' })).status).toBe(422);
    const r = await admin.put('/api/settings/deadline', { date: '2099-12-31' });
    expect(r.status).toBe(200);
    expect((await staff.get('/api/settings/deadline')).body.date).toBe('2099-12-31');
    const b = await admin.get(`/api/briefing?region=${COUNTY}`);
    expect(b.body.deadline).toBe('2099-12-31');
    expect(b.body.text).toMatch(/距截止日期（2099年12月31日）还有\d+天，尚余\d+项，平均每天需完成\d+项。/);
  });
});

describe('district B: imports into a fresh district', () => {
  let stack: TestStack;
  let admin: Client;
  let staff: Client;

  beforeAll(async () => {
    stack = await startSecondStack(signingKey);
    admin = await login(stack.url, 'admin');
    staff = await login(stack.url, 'staff-emergency');
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  const byName = (rows: { data: Record<string, unknown> }[]) => [...rows].sort((a, b) => String(a.data.name).localeCompare(String(b.data.name))).map((r) => r.data);

  it('imports the CSV export of district A: every row valid, then the same records', async () => {
    expect(csvExport, 'the export tests ran first').toBeDefined();
    const job = await importFile(admin, { formId: def.id, format: 'csv', content: b64(csvExport), fileName: 'export.csv' });
    expect(job.status, JSON.stringify(job)).toBe('validated');
    expect(job.errors).toEqual([]);
    expect({ total: job.total, valid: job.valid, invalid: job.invalid }).toEqual({ total: originals.length, valid: originals.length, invalid: 0 });
    expect(job.ignoredColumns).toEqual(['photos']); // files cannot come in through a spreadsheet; the UI says so
    const done = await commit(admin, job.id);
    expect(done.status, JSON.stringify(done)).toBe('committed');
    expect(done.outcomes).toEqual({ created: originals.length, unchanged: 0, conflict: 0, failed: 0 });
    expect(done.progress).toEqual({ done: originals.length, total: originals.length });

    const items = await listAll(admin, `formId=${def.id}`);
    expect(items).toHaveLength(originals.length);
    expect(byName(items)).toEqual(byName(originals));
    // The same records: the export's record ids are kept, with the same region and answers.
    const byId = new Map(items.map((i) => [i.id, i]));
    for (const o of originals) expect(byId.get(o.id), o.id).toMatchObject({ regionCode: o.regionCode, data: o.data, status: 'submitted' });
  });

  it('re-importing the same file creates no duplicates', async () => {
    const job = await importFile(admin, { formId: def.id, content: b64(csvExport), fileName: 'export.csv' });
    const done = await commit(admin, job.id);
    expect(done.outcomes).toEqual({ created: 0, unchanged: originals.length, conflict: 0, failed: 0 });
    // A retried commit is answered again without a second run.
    expect((await admin.post(`/api/imports/${job.id}/commit`)).status).toBe(202);
    expect(await listAll(admin, `formId=${def.id}`)).toHaveLength(originals.length);
  });

  it('imports the XLSX export of the same records: the same ids and answers, so nothing changes', async () => {
    const job = await importFile(admin, { formId: def.id, content: b64(xlsxExport), fileName: 'export.xlsx' });
    expect(job.status, JSON.stringify(job)).toBe('validated');
    expect(job.errors).toEqual([]);
    expect(job.valid).toBe(originals.length);
    const done = await commit(admin, job.id);
    expect(done.outcomes).toEqual({ created: 0, unchanged: originals.length, conflict: 0, failed: 0 });
    const items = await listAll(admin, `formId=${def.id}`);
    expect(items).toHaveLength(originals.length);
    expect(byName(items)).toEqual(byName(originals));
  });

  it('previews per-row errors (row, column, zh/en message), commits only the valid rows, and offers the report', async () => {
    const x = await staff.get(`/api/forms/${def.id}/template?format=xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(x.body.content, 'base64') as never);
    const ws = wb.worksheets[0]!;
    const codes = (ws.getRow(2).values as unknown[]).slice(1) as string[];
    const good = schoolData(1, '新建小学');
    const field = def.fields.find((f) => f.name === 'school_type')!;
    const typeLabel = field.type === 'select_one' ? field.choices.find((c) => c.value === good.school_type)!.label.zh : '';
    const put = (rowNo: number, values: Record<string, unknown>) => {
      const row = ws.getRow(rowNo);
      codes.forEach((code, i) => {
        const v = values[code];
        if (v === undefined) return;
        const f = def.fields.find((ff) => ff.name === code);
        row.getCell(i + 1).value =
          f?.type === 'geopoint' ? `${(v as any).lat},${(v as any).lng}` : f?.type === 'boolean' ? (v ? '是' : '否') : f?.type === 'geoshape' ? JSON.stringify(v) : (v as never);
      });
      row.commit();
    };
    put(3, { ...good, _region: `${V1[0]} 青山社区`, school_type: typeLabel });
    put(4, { ...good, name: '坏选项小学', _region: V1[1], school_type: '大学城' });
    put(5, { ...good, name: '外区小学', _region: V2, school_type: typeLabel });
    put(6, { ...good, name: undefined, _region: V1[2], school_type: typeLabel });
    put(7, { ...good, name: '乡镇级小学', _region: T1, school_type: typeLabel, students: 'many' });
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const job = await importFile(staff, { formId: def.id, content: b64(bytes), fileName: 'filled.xlsx' });
    expect(job.status, JSON.stringify(job)).toBe('validated');
    expect({ total: job.total, valid: job.valid, invalid: job.invalid }).toEqual({ total: 5, valid: 1, invalid: 4 });
    const at = (row: number, column: string) => job.errors.find((e: any) => e.row === row && e.column === column);
    expect(at(4, 'school_type')).toMatchObject({ code: 'choice' });
    expect(at(4, 'school_type').message.zh).toContain('大学城');
    expect(at(4, 'school_type').message.en).toContain('not one of the choices');
    expect(at(5, '_region')).toMatchObject({ code: 'forbidden' });
    expect(at(6, 'name')).toMatchObject({ code: 'required', message: { zh: '此项为必填项', en: 'This field is required' } });
    expect(at(7, '_region')).toMatchObject({ code: 'region-level' });
    expect(at(7, 'students')).toMatchObject({ code: 'format-integer' });
    expect(at(7, 'students').message.zh).toBe('应为整数');

    const report = await fetch(new URL(job.reportUrl, stack.url));
    const text = Buffer.from(await report.arrayBuffer()).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines: string[][] = parseCsv(text.slice(1));
    expect(lines[0]).toEqual(['row', 'column', 'column_label', 'code', 'message_zh', 'message_en']);
    expect(lines.length - 1).toBe(job.errorCount);
    expect(lines).toContainEqual(['6', 'name', '学校名称', 'required', '此项为必填项', 'This field is required']);

    const before = (await listAll(admin, `formId=${def.id}`)).length;
    const done = await commit(staff, job.id);
    expect(done.outcomes).toEqual({ created: 1, unchanged: 0, conflict: 0, failed: 0 });
    const after = await listAll(admin, `formId=${def.id}`);
    expect(after.length).toBe(before + 1);
    expect(after.find((s) => s.data.name === '新建小学')).toMatchObject({ regionCode: V1[0], status: 'submitted' });
    // Someone else cannot see or commit it.
    const other = await login(stack.url, 'staff-housing');
    expect((await other.get(`/api/imports/${job.id}`)).status).toBe(404);
    expect((await other.post(`/api/imports/${job.id}/commit`)).status).toBe(404);
  });

  it('reports a file without the header row, and refuses bodies that are not one file', async () => {
    const job = await importFile(admin, { formId: def.id, content: b64('a,b\n1,2\n'), fileName: 'junk.csv' });
    expect(job.status).toBe('validated');
    expect(job.valid).toBe(0);
    expect(job.errors[0]).toMatchObject({ row: 1, code: 'no-header' });
    expect((await admin.post('/api/imports', { formId: def.id })).status).toBe(400);
    expect((await admin.post('/api/imports', { formId: def.id, content: 'not base64!' })).status).toBe(400);
    expect((await admin.post('/api/imports', { formId: 'x.none', content: b64('x') })).status).toBe(422);
    expect((await (await login(stack.url, 'viewer')).post('/api/imports', { formId: def.id, content: b64('x') })).status).toBe(403);
  });

  it('accepts larger files through a presigned upload', async () => {
    const r = await admin.post('/api/imports/uploads', { fileName: 'export.csv', size: csvExport.length });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const form = new FormData();
    for (const [k, v] of Object.entries(r.body.upload.fields as Record<string, string>)) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(csvExport)], { type: r.body.contentType }), 'export.csv');
    const up = await fetch(new URL(r.body.upload.url, admin.base), { method: 'POST', body: form });
    expect(up.status).toBeLessThan(300);
    const job = await importFile(admin, { formId: def.id, uploadId: r.body.uploadId });
    expect(job.status, JSON.stringify(job)).toBe('validated');
    expect(job.valid).toBe(originals.length);
    expect((await staff.post('/api/imports', { formId: def.id, uploadId: r.body.uploadId })).status).toBe(404);
  });

  it('previews a region import with per-row errors and writes only a clean file', async () => {
    const csv = [
      'code,name,parent',
      '420999005000,新区街道,420999000000',
      '420999005001,新区社区,',
      '420999005002,,420999005000',
      '42099900500X,坏代码,',
      '420999006001,孤儿村,',
      '420999001004,错上级村,420999002000',
      '420888001000,外区乡,',
      '420999005001,重复社区,',
    ].join('\n');
    const r = await admin.post('/api/regions/import?dryRun=true', { csv });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const codes = r.body.errors.map((e: any) => [e.row, e.column, e.code]);
    expect(codes).toEqual([
      [4, 'name', 'required'],
      [5, 'code', 'code'],
      [6, 'parent', 'parent-missing'],
      [7, 'parent', 'parent-mismatch'],
      [8, 'code', 'other-district'],
      [9, 'code', 'duplicate'],
    ]);
    expect(r.body.changes.filter((c: any) => c.change === 'new').map((c: any) => [c.code, c.level])).toEqual([
      ['420999005000', 'township'],
      ['420999005001', 'village'],
    ]);
    expect((await admin.post('/api/regions/import', { csv })).status).toBe(422);
    expect((await admin.get('/api/regions')).body.some((x: any) => x.code === '420999005000')).toBe(false);

    const clean = ['区划代码,名称,上级代码', '420999005000,新区街道,420999000000', '420999005001,新区社区,420999005000', '420999001001,青山社区,'].join('\n');
    const w = await admin.post('/api/regions/import', { csv: clean });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body).toMatchObject({ dryRun: false, total: 3, errors: [], written: 2 });
    const regions = (await admin.get('/api/regions')).body;
    expect(regions.find((x: any) => x.code === '420999005001')).toMatchObject({ level: 'village', parent: '420999005000', name: { zh: '新区社区' } });
    expect((await staff.post('/api/regions/import?dryRun=true', { csv: clean })).status).toBe(403);
  });

  it('previews a target import with per-row errors, applies a clean one with history, and records "none exist here"', async () => {
    const csv = [
      'formId,regionCode,target',
      `${def.id},${V1[0]},7`,
      `emergency.nothing,${V1[0]},3`,
      `${def.id},${T1},3`,
      `${def.id},${V1[1]},-1`,
      `${def.id},${V1[0]},8`,
      `${def.id},420999009009,1`,
    ].join('\n');
    const r = await admin.post('/api/targets/import?dryRun=true', { csv });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.errors.map((e: any) => [e.row, e.column, e.code])).toEqual([
      [3, 'formId', 'unknown-form'],
      [4, 'regionCode', 'region-level'],
      [5, 'target', 'target'],
      [6, null, 'duplicate'],
      [7, 'regionCode', 'unknown-region'],
    ]);
    expect(r.body.changes).toEqual([expect.objectContaining({ row: 2, formId: def.id, regionCode: V1[0], target: 7, changed: true })]);
    expect((await admin.post('/api/targets/import', { csv })).status).toBe(422);

    // XLSX with Chinese headers.
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('任务');
    ws.addRow(['调查表', '区划代码', '任务数']);
    ws.addRow([def.id, V1[0], 7]);
    ws.addRow([def.id, V1[1], 4]);
    const xlsx = b64(Buffer.from(await wb.xlsx.writeBuffer()));
    const w = await admin.post('/api/targets/import', { xlsx });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body.updated).toBe(2);
    const h = await admin.get(`/api/targets/history?formId=${def.id}&regionCode=${V1[0]}`);
    expect(h.status).toBe(200);
    expect(h.body.target).toBe(7);
    expect(h.body.entries[0]).toMatchObject({ target: 7, byName: '普查办管理员' });

    const attest = await admin.post('/api/targets/attest', { formId: def.id, regionCode: V1[2], none: true });
    expect(attest.status, JSON.stringify(attest.body)).toBe(200);
    const h2 = await admin.get(`/api/targets/history?formId=${def.id}&regionCode=${V1[2]}`);
    expect(h2.body.attestedNone).toBe(true);
    expect(h2.body.entries[0]).toMatchObject({ attestedNone: true });
    const reviewerOther = await login(stack.url, 'reviewer-housing');
    expect((await reviewerOther.post('/api/targets/attest', { formId: def.id, regionCode: V1[2], none: false })).status).toBe(403);
    expect((await staff.post('/api/targets/import?dryRun=true', { csv })).status).toBe(403);
    expect((await staff.get(`/api/targets/history?formId=${def.id}&regionCode=${V2}`)).status).toBe(404);
  });
});
