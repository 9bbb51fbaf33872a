/**
 * Forms at run time in a real browser, on the local stack (SQLite): the admin uploads an XLSForm built here, sees it
 * previewed as staff will (the fields rendered, read-only), publishes it as a new form; a staff member fills it and
 * saves a draft; the admin publishes version 2 with a new required field and one field fewer (the preview lists the
 * changes, the form page compares versions and downloads each as an XLSForm); the staff member's draft stays on
 * version 1 (a banner says so) and submits fine, a new record uses version 2 (its new field is required), and another
 * draft is moved to version 2 after being told which answer is dropped. The admin's export holds the records of both
 * versions. A broken XLSForm shows located problems and nothing to publish; staff cannot reach the forms pages (and
 * the API refuses them). axe on the list, the preview, the problems and the form page.
 */
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Download, Page } from 'playwright-core';
import { axeViolations, screenshot, signIn, startAdminSession, type AdminSession } from './support';
import { login, newId, type Client } from '../support/stack';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const FORM = 'housing.shed-check';
const TITLE = '棚房快速核查';
/** 青山社区, in 青山街道 — the demo housing staff's township. */
const VILLAGE = '420999001001';

// ── a tiny XLSForm builder: survey / choices / settings sheets from rows (first row = headers)
type Row = (string | number | null)[];
const HEAD = ['type', 'name', 'label::Chinese (zh)', 'label::English (en)', 'hint::Chinese (zh)', 'hint::English (en)', 'required', 'constraint', 'constraint_message::Chinese (zh)', 'constraint_message::English (en)', 'relevant'];
const CHOICES: Row[] = [
  ['list_name', 'name', 'label::Chinese (zh)', 'label::English (en)'],
  ['kinds', 'brick', '砖木', 'Brick and timber'],
  ['kinds', 'steel', '轻钢', 'Light steel'],
];
const V1: Row[] = [
  HEAD,
  ['text', 'shed_name', '棚房名称', 'Shed name', '门牌或俗称', 'House number or usual name', 'yes'],
  ['integer', 'floors', '层数', 'Floors', null, null, 'yes', '. >= 1', '层数至少为 1', 'At least one floor'],
  ['select_one kinds', 'kind', '结构类型', 'Structure', null, null, 'no'],
  ['text', 'remark', '备注', 'Remark', null, null, 'no'],
];
/** Version 2: the remark is gone, the owner's phone is new and required. */
const V2: Row[] = [...V1.filter((r) => r[1] !== 'remark'), ['text', 'owner_phone', '户主电话', 'Owner’s phone', null, null, 'yes']];
const SETTINGS: Row[] = [
  ['form_title', 'form_id', 'default_language'],
  [TITLE, FORM, 'zh'],
];

async function workbook(sheets: Record<string, Row[]>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name);
    for (const r of rows) ws.addRow(r);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let s: AdminSession;
let admin: Page;
let staffCtx: BrowserContext;
let staff: Page;
let staffApi: Client;

beforeAll(async () => {
  s = await startAdminSession({ locale: 'zh-CN', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  admin = s.page;
  s.ctx.setDefaultTimeout(10_000);
  staffCtx = await s.browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  staffCtx.setDefaultTimeout(10_000);
  [staff, staffApi] = await Promise.all([signIn(staffCtx, s.stack.url, 'staff-housing'), login(s.stack.url, 'staff-housing')]);
});
afterAll(async () => {
  await staffCtx?.close();
  await s?.close();
});

async function bytesOf(d: Download): Promise<Buffer> {
  const path = await d.path();
  expect(path).toBeTruthy();
  return readFileSync(path!);
}

const focusedId = (p: Page) => p.evaluate(() => document.activeElement?.id ?? '');

/** On /forms/upload: choose the workbook (and the sector, part and level its settings sheet leaves out), preview it. */
async function previewUpload(bytes: Buffer, name = 'shed-check.xlsx') {
  await admin.goto(`${s.stack.url}/forms/upload`);
  await admin.getByRole('heading', { level: 1, name: '上传 XLSForm' }).waitFor();
  await admin.getByLabel('XLSForm 文件（.xlsx）').setInputFiles({ name, mimeType: XLSX, buffer: bytes });
  await admin.getByLabel('系统', { exact: true }).selectOption('housing');
  await admin.getByLabel('专项', { exact: true }).selectOption('rural');
  await admin.getByLabel('填报级别', { exact: true }).selectOption('village');
  await admin.getByRole('button', { name: '预览', exact: true }).click();
}

async function recordOf(id: string) {
  const r = await s.admin.get(`/api/submissions/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { formVersion: number; status: string; data: Record<string, unknown>; version: number };
}

describe('forms at run time', () => {
  it('a broken XLSForm shows its problems by sheet, row and column, and nothing to publish', async () => {
    const broken = [...V1, ['select_one colours', 'colour', '颜色', 'Colour', null, null, 'no'], ['text', 'extra', '附加', 'Extra', null, null, 'no', null, null, null, '${nowhere} > 1']];
    await previewUpload(await workbook({ survey: broken, choices: CHOICES, settings: SETTINGS }), 'broken.xlsx');
    const heading = admin.getByRole('heading', { name: /^工作簿有 \d+ 处问题，不能发布$/ });
    await heading.waitFor();
    await expect.poll(() => focusedId(admin)).toBe('up-result'); // focus moves to the outcome: it is announced
    const table = admin.getByRole('table', { name: '问题所在位置' });
    const headers = await table.getByRole('columnheader').allTextContents();
    expect(headers).toEqual(['工作表', '行', '列', '问题']);
    // Row 6 of the survey sheet names a list that does not exist; row 7's relevance names a field that does not.
    const row6 = table.getByRole('row').filter({ has: admin.getByRole('cell', { name: '6', exact: true }) });
    await row6.getByRole('cell', { name: 'survey', exact: true }).waitFor();
    expect((await row6.getByRole('cell').nth(2).textContent())?.toLowerCase()).toContain('type');
    const row7 = table.getByRole('row').filter({ has: admin.getByRole('cell', { name: '7', exact: true }) });
    expect((await row7.getByRole('cell').nth(2).textContent())?.toLowerCase()).toContain('relevant');
    expect(await row7.getByRole('cell').nth(3).textContent()).toMatch(/[\u4e00-\u9fff]/);
    expect(await admin.getByRole('button', { name: /发布/ }).count()).toBe(0);
    expect(await admin.getByTestId('form-preview').count()).toBe(0);
    await screenshot(admin, 'forms-upload-errors');
    expect(await axeViolations(admin), 'upload errors').toEqual([]);
    // Nothing was stored.
    expect((await s.admin.get(`/api/forms/${FORM}`)).status).toBe(404);
  });

  let draftV1: string;

  it('previews a new form as staff will see it and publishes it; staff fill it and save a draft', async () => {
    await previewUpload(await workbook({ survey: V1, choices: CHOICES, settings: SETTINGS }));
    await admin.getByRole('heading', { name: `预览：${TITLE}` }).waitFor();
    await expect.poll(() => focusedId(admin)).toBe('up-result');
    await admin.getByText('新表，第 1 版').waitFor();
    // The fields as the fill page renders them — labels, hints, choices — and read-only.
    const preview = admin.getByTestId('form-preview');
    const name = preview.getByLabel(/^棚房名称/);
    await name.waitFor();
    expect(await name.isDisabled()).toBe(true);
    await preview.getByText('门牌或俗称').waitFor();
    await preview.getByRole('group', { name: /^结构类型/ }).getByLabel('砖木').waitFor();
    expect(await preview.getByLabel(/^层数/).isDisabled()).toBe(true);
    await screenshot(admin, 'forms-upload-preview');
    expect(await axeViolations(admin), 'upload preview').toEqual([]);

    // A new form publishes under the id it is given (the settings sheet's, here).
    expect(await admin.getByLabel('新表的表标识').inputValue()).toBe(FORM);
    await admin.getByRole('button', { name: '发布为新表' }).click();
    await admin.getByRole('heading', { name: `已发布“${TITLE}”第 1 版。` }).waitFor();
    await expect.poll(() => focusedId(admin)).toBe('up-done');
    await admin.getByRole('link', { name: '查看此表的版本' }).click();
    await admin.waitForURL(new RegExp(`/forms/${FORM.replace('.', '\\.')}$`));
    await admin.getByRole('heading', { level: 1, name: TITLE }).waitFor();
    await admin.locator('tr[data-version="1"]').getByText('普查办管理员').waitFor(); // published by, by name
    await admin.getByText('此表只有一个版本，暂无可对比的版本。').waitFor();

    // The list has it, with its sector, part, version and status; the sector filter is in the URL.
    await admin.goto(`${s.stack.url}/forms?sector=housing`);
    const row = admin.locator(`tr[data-form="${FORM}"]`);
    await row.getByRole('link', { name: TITLE }).waitFor();
    await row.getByText('农村房屋').waitFor();
    await row.getByText('第 1 版').waitFor();
    await row.getByText('在用').waitFor();
    expect(await admin.locator('tr[data-form="emergency.school"]').count()).toBe(0);
    expect(await axeViolations(admin), 'forms list').toEqual([]);

    // Staff fill it.
    await staff.goto(`${s.stack.url}/fill/${FORM}?region=${VILLAGE}`);
    await staff.waitForURL(/[?&]id=[0-9a-f-]{36}$/);
    draftV1 = new URL(staff.url()).searchParams.get('id')!;
    await staff.getByRole('heading', { level: 1, name: TITLE }).waitFor();
    await staff.getByText(/表单版本 v1/).waitFor();
    await staff.getByLabel(/^棚房名称/).fill('东头棚房');
    await staff.getByLabel(/^层数/).fill('1');
    await staff.getByRole('button', { name: '保存草稿' }).click();
    await staff.getByText(/已自动保存/).waitFor();
    const rec = await recordOf(draftV1);
    expect(rec).toMatchObject({ formVersion: 1, status: 'draft', data: { shed_name: '东头棚房', floors: 1 } });
  });

  it('publishes version 2 after previewing its changes; the form page compares versions and downloads them', async () => {
    await previewUpload(await workbook({ survey: V2, choices: CHOICES, settings: SETTINGS }));
    await admin.getByText(`“${FORM}”的第 2 版（当前为第 1 版）`).waitFor();
    const changes = admin.getByRole('table', { name: '字段变更' });
    await changes.locator('tr[data-field="owner_phone"][data-change="added"]').getByText('新增').waitFor();
    await changes.locator('tr[data-field="remark"][data-change="removed"]').getByText('删除').waitFor();
    await admin.getByTestId('form-preview').getByLabel(/^户主电话/).waitFor();
    await admin.getByRole('button', { name: '发布为第 2 版' }).click();
    await admin.getByRole('heading', { name: `已发布“${TITLE}”第 2 版。` }).waitFor();

    await admin.getByRole('link', { name: '查看此表的版本' }).click();
    await admin.locator('tr[data-version="2"]').getByText('（当前）').waitFor();
    await admin.locator('tr[data-version="1"]').waitFor();
    // Previous → current, field by field.
    await admin.getByRole('heading', { name: '第 1 版 → 第 2 版' }).waitFor();
    const diff = admin.getByRole('table', { name: '第 1 版 → 第 2 版' });
    await diff.locator('tr[data-field="owner_phone"]').getByText('新增').waitFor();
    await diff.locator('tr[data-field="remark"]').getByText('删除').waitFor();
    // The other way round, chosen by keyboard-operable selects; kept in the URL.
    await admin.getByLabel('从', { exact: true }).selectOption('2');
    await admin.getByLabel('到', { exact: true }).selectOption('1');
    await admin.getByRole('button', { name: '对比' }).click();
    await admin.getByRole('heading', { name: '第 2 版 → 第 1 版' }).waitFor();
    await expect.poll(() => focusedId(admin)).toBe('f-diff');
    expect(admin.url()).toMatch(/from=2&to=1/);
    await admin.getByRole('table', { name: '第 2 版 → 第 1 版' }).locator('tr[data-field="remark"]').getByText('新增').waitFor();
    await screenshot(admin, 'forms-form-page');
    expect(await axeViolations(admin), 'form page').toEqual([]);

    // Version 1 as an XLSForm: its survey sheet still has the remark.
    const [d] = await Promise.all([admin.waitForEvent('download'), admin.getByRole('button', { name: '下载第 1 版 XLSForm' }).click()]);
    expect(d.suggestedFilename()).toMatch(/\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await bytesOf(d)) as never);
    const survey = wb.getWorksheet('survey');
    expect(survey).toBeDefined();
    const names: unknown[] = [];
    survey!.eachRow((r) => names.push(r.getCell(2).value));
    expect(names).toContain('remark');
    expect(names).not.toContain('owner_phone');
  });

  it('the draft stays on version 1 and submits; a new record uses version 2 and its new field is required', async () => {
    await staff.goto(`${s.stack.url}/fill/${FORM}?region=${VILLAGE}&id=${draftV1}`);
    await staff.getByText('此记录按第 1 版填写，当前为第 2 版。').waitFor();
    await staff.getByText(/表单版本 v1/).waitFor();
    await staff.getByLabel(/^备注/).waitFor();
    expect(await staff.getByLabel(/^户主电话/).count()).toBe(0);
    expect(await axeViolations(staff), 'fill page with the version banner').toEqual([]);
    await staff.getByRole('button', { name: '提交', exact: true }).click();
    await staff.getByText('已提交，等待审核。').waitFor();
    expect(await recordOf(draftV1)).toMatchObject({ formVersion: 1, status: 'submitted' });

    await staff.goto(`${s.stack.url}/fill/${FORM}?region=${VILLAGE}`);
    await staff.waitForURL(/[?&]id=[0-9a-f-]{36}$/);
    const fresh = new URL(staff.url()).searchParams.get('id')!;
    await staff.getByText(/表单版本 v2/).waitFor();
    expect(await staff.getByText(/当前为第 2 版/).count()).toBe(0);
    await staff.getByLabel(/^棚房名称/).fill('西头棚房');
    await staff.getByLabel(/^层数/).fill('2');
    await staff.getByRole('button', { name: '提交', exact: true }).click();
    const summary = staff.getByRole('group', { name: /提交前请修改以下 1 处问题/ });
    await summary.getByRole('link', { name: /^户主电话：/ }).waitFor();
    await staff.getByLabel(/^户主电话/).fill('13800001111');
    await staff.getByRole('button', { name: '提交', exact: true }).click();
    await staff.getByText('已提交，等待审核。').waitFor();
    expect(await recordOf(fresh)).toMatchObject({ formVersion: 2, status: 'submitted', data: { owner_phone: '13800001111' } });
  });

  it('a draft on version 1 moves to version 2 after listing the answer it drops', async () => {
    const id = newId();
    const r = await staffApi.put(`/api/submissions/${id}`, { formId: FORM, formVersion: 1, regionCode: VILLAGE, data: { shed_name: '南头棚房', remark: '旧版备注' } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.formVersion).toBe(1);

    await staff.goto(`${s.stack.url}/fill/${FORM}?region=${VILLAGE}&id=${id}`);
    await staff.getByText('此记录按第 1 版填写，当前为第 2 版。').waitFor();
    await staff.getByRole('button', { name: '改用第 2 版' }).click();
    const panel = staff.getByRole('group', { name: '改用第 2 版？' });
    await panel.waitFor();
    await expect.poll(() => focusedId(staff)).toBe('move-title');
    await panel.getByRole('listitem').filter({ hasText: '备注' }).getByText('（remark）').waitFor();
    await panel.getByText(/新增 1 项.*户主电话/).waitFor();
    // Staying is possible; then move after all.
    await panel.getByRole('button', { name: '继续用第 1 版' }).click();
    await expect.poll(() => staff.evaluate(() => document.activeElement?.textContent ?? '')).toBe('改用第 2 版');
    await staff.getByRole('button', { name: '改用第 2 版' }).click();
    await staff.getByRole('button', { name: '确认改用第 2 版' }).click();
    await staff.getByText(/已改用第 2 版/).waitFor();
    await staff.getByText(/表单版本 v2/).waitFor();
    expect(await staff.getByLabel(/^棚房名称/).inputValue()).toBe('南头棚房');
    await staff.getByLabel(/^户主电话/).waitFor();
    await expect.poll(async () => (await recordOf(id)).formVersion).toBe(2);
    const moved = await recordOf(id);
    expect(moved.data).toEqual({ shed_name: '南头棚房' });
    expect(moved.status).toBe('draft');
  });

  it('the export of the form holds the records of both versions', async () => {
    await admin.goto(`${s.stack.url}/data`);
    await admin.getByRole('heading', { name: '数据导入导出', level: 1 }).waitFor();
    await admin.getByLabel('调查表').selectOption(FORM);
    await admin.getByRole('radio', { name: /^CSV/ }).check();
    await admin.getByRole('button', { name: '开始导出' }).click();
    const download = admin.getByRole('listitem').filter({ hasText: 'CSV' }).getByRole('button', { name: /^下载 .+\.csv$/ });
    await download.waitFor();
    const [d] = await Promise.all([admin.waitForEvent('download'), download.click()]);
    const rows: string[][] = parseCsv((await bytesOf(d)).toString('utf8').replace(/^\uFEFF/, ''));
    const head = rows[0]!;
    const byName = new Map(rows.slice(1).map((r) => [r[head.indexOf('shed_name')], r]));
    expect(byName.get('东头棚房')?.[head.indexOf('_form_version')]).toBe('1');
    expect(byName.get('西头棚房')?.[head.indexOf('_form_version')]).toBe('2');
    expect(byName.get('西头棚房')?.[head.indexOf('owner_phone')]).toBe('13800001111');
  });

  it('staff cannot reach the forms pages, and the API refuses them', async () => {
    await staff.goto(`${s.stack.url}/forms`);
    await staff.getByText('调查表管理仅供普查办管理员使用。').waitFor();
    expect(await staff.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '调查表', exact: true }).count()).toBe(0);
    expect(await staff.getByRole('link', { name: '上传 XLSForm' }).count()).toBe(0);
    await staff.goto(`${s.stack.url}/forms/upload`);
    await staff.getByText('调查表管理仅供普查办管理员使用。').waitFor();
    expect(await staff.getByLabel('XLSForm 文件（.xlsx）').count()).toBe(0);
    // The admin has the entry in the navigation.
    await admin.goto(`${s.stack.url}/tasks`);
    await admin.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '调查表', exact: true }).click();
    await admin.waitForURL(/\/forms$/);

    const bytes = await workbook({ survey: V1, choices: CHOICES, settings: SETTINGS });
    const up = await fetch(`${s.stack.url}/api/forms/xlsform?sector=housing&part=rural&regionLevel=village`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staffApi.token}`, 'content-type': XLSX },
      body: new Uint8Array(bytes),
    });
    expect(up.status).toBe(403);
    expect((await staffApi.post('/api/forms', { definition: { id: 'housing.sneaky' } })).status).toBe(403);
    expect((await staffApi.post(`/api/forms/${FORM}/retire`, { retired: true })).status).toBe(403);
  });

  it('retiring asks first, says what happens to records, and can be undone', async () => {
    await admin.goto(`${s.stack.url}/forms/${FORM}`);
    const retire = admin.getByRole('button', { name: '停用此表' });
    await retire.click();
    const dialog = admin.getByRole('dialog', { name: `停用“${TITLE}”？` });
    await dialog.getByText(/已有的草稿和被退回的记录仍可完成并提交/).waitFor();
    await expect.poll(() => admin.evaluate(() => document.activeElement?.textContent ?? '')).toBe('取消');
    await admin.keyboard.press('Escape');
    await expect.poll(() => admin.evaluate(() => document.activeElement?.textContent ?? '')).toBe('停用此表');
    await retire.click();
    await dialog.getByRole('button', { name: '确认停用' }).click();
    await admin.getByRole('status').getByText('已停用此表。').waitFor();
    await admin.getByRole('heading', { level: 1, name: TITLE }).waitFor();
    await admin.locator('.badge', { hasText: '已停用' }).first().waitFor();
    expect((await s.admin.get('/api/forms')).body.find((f: { id: string }) => f.id === FORM)?.retired).toBe(true);
    // A new record is refused; putting it back in use allows them again.
    const refused = await staffApi.put(`/api/submissions/${newId()}`, { formId: FORM, regionCode: VILLAGE, data: { shed_name: '北头棚房' } });
    expect(refused.status).toBe(409);
    await admin.getByRole('button', { name: '恢复使用' }).click();
    await admin.getByRole('dialog', { name: `恢复使用“${TITLE}”？` }).getByRole('button', { name: '确认恢复' }).click();
    await admin.getByRole('status').getByText('已恢复使用此表。').waitFor();
    expect((await s.admin.get('/api/forms')).body.find((f: { id: string }) => f.id === FORM)?.retired).toBeUndefined();
  });
});
