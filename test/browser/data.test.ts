/**
 * Data in and out in a real browser, as the demo admin on /data and /briefing:
 *  - exports: choose a form and a format, start the job, watch its state go from running to done, download the file
 *    (CSV: UTF-8 BOM and the header row of field names; XLSX: a workbook with the code row; GeoJSON: one feature a row);
 *  - bulk import: download the CSV template, upload one valid and one invalid row built from its header rows, see the
 *    row / column / message of the bad row, download the report, commit the valid row only → created 1;
 *  - region import preview with a per-row error, then a clean import; target import pasted (with a per-row error) and
 *    uploaded as XLSX, applied, its history shown, and a region attesting "none exist here";
 *  - the printable briefing: Chinese by default naming every sector, English on switching, a print button and a print
 *    stylesheet that hides the navigation;
 *  - axe: no serious or critical violations on the data tabs (in their richest states) and the briefing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { CATALOG } from '../../functions/domain/catalog/index';
import { allFields, type FormDefinition } from '../../functions/domain/forms';
import { generateSample } from '../../functions/domain/samples';
import { SECTORS } from '../../functions/domain/sectors';
import { axeViolations, screenshot, startAdminSession, type AdminSession } from './support';
import { newId, type Client, type TestStack } from '../support/stack';

const FORM = 'emergency.school';
const V1 = ['420999001001', '420999001002', '420999001003'] as const;
const V2 = '420999002001';
const entry = CATALOG.find((e) => e.definition.id === FORM)!;
const def: FormDefinition = entry.definition;
const HEADER = ['_id', '_region', '_status', '_form_version', '_updated_at', ...def.fields.map((f) => f.name)];

/** A valid school record without attachments (files cannot come in through a spreadsheet). */
function schoolData(name: string): Record<string, unknown> {
  const data = generateSample(def, entry.sample);
  for (const { field, parent } of allFields(def)) if (!parent && (field.type === 'photo' || field.type === 'file')) delete data[field.name];
  data.name = name;
  return data;
}

/** One answer as a spreadsheet cell, as people fill the template: choice labels, 是/否, "lat,lng". */
function cell(code: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  const f = def.fields.find((x) => x.name === code);
  if (f?.type === 'geopoint') return `${(v as { lat: number }).lat},${(v as { lng: number }).lng}`;
  if (f?.type === 'geoshape') return JSON.stringify(v);
  if (f?.type === 'boolean') return v ? '是' : '否';
  if (f?.type === 'select_one') return f.choices.find((c) => c.value === v)?.label.zh ?? String(v);
  return String(v);
}

let stack: TestStack;
let browser: Browser;
let admin: Client;
/** One signed-in admin page for the whole file (signing in is deliberately slow: scrypt). */
let ctx: BrowserContext;
let page: Page;
let session: AdminSession;
beforeAll(async () => {
  session = await startAdminSession({ acceptDownloads: true });
  ({ stack, browser, ctx, admin, page } = session);
  ctx.setDefaultTimeout(10_000); // a missing UI state fails with its locator named, well inside the test timeout
  // One record to export.
  const r = await admin.put(`/api/submissions/${newId()}?submit=true`, { formId: FORM, regionCode: V2, data: schoolData('导出测试小学') });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
});
afterAll(async () => {
  await session?.close();
});

async function bytesOf(d: Download): Promise<Buffer> {
  const path = await d.path();
  expect(path).toBeTruthy();
  return readFileSync(path!);
}

/**
 * Local jobs often finish before the page first looks at them. Answer the page's next GET of a job with a busy state
 * (the real answer, with `patch` applied), so the busy display and the polling that ends it are exercised every time;
 * later polls reach the real API. Returns how many GETs went through the route, for checking that the page polled.
 */
async function nextLookBusy(pattern: string, patch: Record<string, unknown>): Promise<{ calls: () => number; done: () => Promise<void> }> {
  let calls = 0;
  await page.route(pattern, async (route) => {
    if (route.request().method() !== 'GET' || calls++ > 0) return route.continue();
    const real = await route.fetch();
    await route.fulfill({ response: real, json: { ...(await real.json()), ...patch } });
  });
  return { calls: () => calls, done: () => page.unroute(pattern) };
}

async function openTab(name: string, key: string) {
  await page.getByRole('tab', { name, exact: true }).click();
  await page.waitForURL(new RegExp(`[?&]tab=${key}`));
  expect(await page.getByRole('tab', { name, exact: true }).getAttribute('aria-selected')).toBe('true');
}

describe('exports', () => {
  it('runs a CSV export as a job whose state the page follows, then downloads the file with BOM and header row; XLSX and GeoJSON too', async () => {
    await page.goto(`${stack.url}/data`);
    await page.getByRole('heading', { name: '数据导入导出', level: 1 }).waitFor();
    expect(await page.getByRole('tab', { name: '导出', exact: true }).getAttribute('aria-selected')).toBe('true');
    await page.getByText('还没有导出任务。').waitFor();
    const start = page.getByRole('button', { name: '开始导出' });
    expect(await start.isDisabled()).toBe(true); // no form chosen yet

    const busy = await nextLookBusy('**/api/exports/*', { status: 'running', rows: 0, url: undefined });
    await page.getByLabel('调查表').selectOption(FORM);
    await page.getByRole('radio', { name: /^CSV/ }).check();
    expect(await start.isEnabled()).toBe(true);
    await start.click();
    const job = page.getByRole('listitem').filter({ hasText: 'CSV' });
    await job.getByText('进行中').waitFor();
    await job.getByText('已完成').waitFor(); // polled until done
    expect(busy.calls()).toBeGreaterThan(1);
    await busy.done();
    expect(await job.getByText('进行中').count()).toBe(0);

    const download = job.getByRole('button', { name: /^下载 .+\.csv$/ });
    const [d] = await Promise.all([page.waitForEvent('download'), download.click()]);
    expect(d.suggestedFilename()).toMatch(/\.csv$/);
    const bytes = await bytesOf(d);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows: string[][] = parseCsv(bytes.toString('utf8').slice(1));
    expect(rows[0]).toEqual(HEADER);
    expect(rows.slice(1).map((r) => r[HEADER.indexOf('name')])).toContain('导出测试小学');
    // The row count on the job equals the file's.
    await job.getByText(`${rows.length - 1} 条`, { exact: true }).waitFor();

    // XLSX: label row, then the code row.
    await page.getByRole('radio', { name: /^Excel 工作簿/ }).check();
    await start.click();
    const xjob = page.getByRole('listitem').filter({ hasText: 'XLSX' });
    const xdownload = xjob.getByRole('button', { name: /^下载 .+\.xlsx$/ });
    await xdownload.waitFor();
    const [xd] = await Promise.all([page.waitForEvent('download'), xdownload.click()]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await bytesOf(xd)) as never);
    expect((wb.worksheets[0]!.getRow(2).values as unknown[]).slice(1)).toEqual(HEADER);
    expect((wb.worksheets[0]!.getRow(1).values as unknown[]).slice(1)).toContain('学校名称 *');

    // GeoJSON: one feature per exported row.
    await page.getByRole('radio', { name: /^GeoJSON/ }).check();
    await start.click();
    const gdownload = page.getByRole('listitem').filter({ hasText: 'GEOJSON' }).getByRole('button', { name: /^下载 .+\.geojson$/ });
    await gdownload.waitFor();
    const [gd] = await Promise.all([page.waitForEvent('download'), gdownload.click()]);
    const fc = JSON.parse((await bytesOf(gd)).toString('utf8'));
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(rows.slice(1).map((r) => r[HEADER.indexOf('name')]));

    await screenshot(page, 'data-exports');
    expect(await axeViolations(page), 'exports tab').toEqual([]);
  });
});

describe('bulk import', () => {
  it('downloads the template, previews a file with one bad row (row, column, message), commits only the good row', async () => {
    await page.goto(`${stack.url}/data`);
    await openTab('批量导入', 'imports');
    const templateCsv = page.getByRole('button', { name: '下载 CSV 模板' });
    expect(await templateCsv.isDisabled()).toBe(true);
    await page.getByLabel('调查表').selectOption(FORM);
    const [t] = await Promise.all([page.waitForEvent('download'), templateCsv.click()]);
    expect(t.suggestedFilename()).toMatch(/导入模板.*\.csv$/);
    const template = (await bytesOf(t)).toString('utf8');
    expect(template.charCodeAt(0)).toBe(0xfeff);
    const [labels, codes] = parseCsv(template.slice(1)) as string[][];
    expect(codes!.slice(0, 2)).toEqual(['_id', '_region']);
    expect(labels).toContain('学校名称 *');

    // Row 3 is valid; row 4 has a word where a whole number belongs.
    const good = { ...schoolData('批量导入小学'), _region: V1[0] };
    const bad = { ...schoolData('坏行小学'), _region: V1[1], students: 'many' };
    const csv = '\ufeff' + stringifyCsv([labels!, codes!, codes!.map((c) => cell(c, good[c as keyof typeof good])), codes!.map((c) => cell(c, bad[c as keyof typeof bad]))], { record_delimiter: '\r\n' });
    await page.getByLabel(/选择文件（CSV 或 XLSX/).setInputFiles({ name: '学校导入.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    const checking = await nextLookBusy('**/api/imports/*', { status: 'validating', progress: { done: 1, total: 2 } });
    await page.getByRole('button', { name: '上传并检查' }).click();
    // Progress while the server checks, then the result once polling sees it.
    const checkBar = page.getByRole('progressbar', { name: '正在检查… 1 / 2 行' });
    await checkBar.waitFor();
    expect(await checkBar.getAttribute('aria-valuenow')).toBe('50');

    await page.getByRole('heading', { name: '第三步：检查结果 · 学校导入.csv' }).waitFor();
    await page.getByText('共 2 行：有效 1 行，有问题 1 行。').waitFor();
    await page.waitForURL(/[?&]import=/); // the job survives a reload
    expect(checking.calls()).toBeGreaterThan(1);
    await checking.done();
    const errors = page.getByRole('table', { name: /问题明细/ });
    const studentsLabel = def.fields.find((f) => f.name === 'students')!.label.zh;
    const badRow = errors.getByRole('row').filter({ hasText: `${studentsLabel}（students）` });
    expect(await badRow.getByRole('cell').allInnerTexts()).toEqual(['4', `${studentsLabel}（students）`, '应为整数']);
    expect(await errors.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'data-import-preview');
    expect(await axeViolations(page), 'import preview').toEqual([]);

    // The full report, downloadable.
    const [rep] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载完整报告（CSV）' }).click()]);
    const report: string[][] = parseCsv((await bytesOf(rep)).toString('utf8').slice(1));
    expect(report[0]).toEqual(['row', 'column', 'column_label', 'code', 'message_zh', 'message_en']);
    expect(report).toContainEqual(expect.arrayContaining(['4', 'students', '应为整数']));

    const committing = await nextLookBusy('**/api/imports/*', { status: 'committing', progress: { done: 0, total: 1 } });
    await page.getByRole('button', { name: '导入 1 条有效记录' }).click();
    const commitBar = page.getByRole('progressbar', { name: '正在导入… 0 / 1 条' });
    await commitBar.waitFor();
    expect(await commitBar.getAttribute('aria-valuenow')).toBe('0');
    await page.getByRole('status').filter({ hasText: '导入完成：新增 1 条，内容未变 0 条，与已有记录冲突 0 条，失败 0 条。' }).waitFor();
    expect(committing.calls()).toBeGreaterThan(1);
    await committing.done();

    const list = await admin.get(`/api/submissions?formId=${FORM}&limit=200`);
    expect(list.status).toBe(200);
    const names = list.body.items.map((s: { data: { name: string } }) => s.data.name);
    expect(names).toContain('批量导入小学');
    expect(names).not.toContain('坏行小学');
    expect(list.body.items.find((s: { data: { name: string } }) => s.data.name === '批量导入小学')).toMatchObject({ regionCode: V1[0], status: 'submitted' });

    // Starting over leaves the finished job behind (the URL no longer names it, and it does not come back).
    await page.getByRole('button', { name: '导入其他文件' }).click();
    await page.waitForURL((u) => !u.searchParams.has('import'));
    await page.getByRole('heading', { name: '第二步：上传填好的文件' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('heading', { name: /^第三步/ }).count()).toBe(0);
  });
});

describe('regions and targets', () => {
  it('previews a region import with a per-row error and applies a clean one', async () => {
    await page.goto(`${stack.url}/data`);
    await openTab('区划导入', 'regions');
    const text = page.getByLabel('CSV 内容');
    await text.fill(['code,name,parent', '420999005000,新区街道,420999000000', '420999005001,,420999005000'].join('\n'));
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('共 2 行，发现 1 个问题。').waitFor();
    const errors = page.getByRole('table', { name: '问题' });
    expect(await errors.locator('tbody tr').count()).toBe(1);
    expect(await errors.locator('tbody tr').getByRole('cell').allInnerTexts()).toEqual(['3', '名称', '缺少名称']);
    expect(await page.getByRole('button', { name: '确认导入' }).isDisabled()).toBe(true);
    expect(await page.getByRole('row').filter({ hasText: '新区街道' }).getByRole('cell').allInnerTexts()).toEqual(['2', '420999005000', '新区街道', '乡镇（街道）', '江滨区（演示）（420999000000）', '新增']);
    expect(await axeViolations(page), 'region preview').toEqual([]);

    await text.fill(['code,name,parent', '420999005000,新区街道,420999000000', '420999005001,新区社区,420999005000'].join('\n'));
    expect(await page.getByText('共 2 行，发现 1 个问题。').count()).toBe(0); // editing drops the old preview
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('共 2 行，发现 0 个问题。').waitFor();
    await page.getByRole('button', { name: '确认导入' }).click();
    await page.getByRole('status').filter({ hasText: '已写入 2 条。' }).waitFor();
    const regions = (await admin.get('/api/regions')).body;
    expect(regions.find((r: { code: string }) => r.code === '420999005001')).toMatchObject({ level: 'village', parent: '420999005000', name: { zh: '新区社区' } });
  });

  it('previews targets with a per-row error, applies an uploaded XLSX, shows the history and records "none exist here"', async () => {
    // The demo district comes with targets: pick new ones that differ from them.
    const before = async (region: string): Promise<number> => (await admin.get(`/api/targets/history?formId=${FORM}&regionCode=${region}`)).body.target;
    const [b0, b1] = [await before(V1[0]), await before(V1[1])];
    const [n0, n1] = [b0 + 10, b1 + 20];
    await page.goto(`${stack.url}/data`);
    await openTab('任务量导入', 'targets');
    await page.getByLabel('CSV 内容').fill(['formId,regionCode,target', `${FORM},${V1[0]},${n0}`, `emergency.nothing,${V1[0]},3`].join('\n'));
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('共 2 行，发现 1 个问题。').waitFor();
    const errors = page.getByRole('table', { name: '问题' });
    expect(await errors.locator('tbody tr').getByRole('cell').allInnerTexts()).toEqual(['3', '调查表', '没有调查表“emergency.nothing”']);
    expect(await page.getByRole('button', { name: '确认导入' }).isDisabled()).toBe(true);

    // A spreadsheet with Chinese headers, chosen as a file.
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('任务');
    ws.addRow(['调查表', '区划代码', '任务数']);
    ws.addRow([FORM, V1[0], n0]);
    ws.addRow([FORM, V1[1], n1]);
    await page.getByLabel('或选择文件').setInputFiles({ name: '任务量.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from(await wb.xlsx.writeBuffer()) });
    await page.getByText('任务量.xlsx').waitFor();
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('共 2 行，发现 0 个问题。').waitFor();
    const title = def.title.zh;
    expect(await page.getByRole('row').filter({ hasText: V1[0] }).getByRole('cell').allInnerTexts()).toEqual(['2', title, `青山社区（${V1[0]}）`, String(b0), String(n0)]);
    await page.getByRole('button', { name: '确认导入' }).click();
    await page.getByRole('status').filter({ hasText: '已写入 2 条。' }).waitFor();
    expect((await admin.get(`/api/targets/history?formId=${FORM}&regionCode=${V1[1]}`)).body.target).toBe(n1);

    // History of one cell.
    const history = page.getByRole('region', { name: /任务量变更记录/ });
    await history.getByLabel('调查表').selectOption(FORM);
    await history.getByRole('combobox', { name: /^区划/ }).selectOption(V1[0]);
    await history.getByRole('button', { name: '查看记录' }).click();
    await history.getByText(`当前任务数 ${n0}`, { exact: true }).waitFor();
    const latest = history.getByRole('row').filter({ hasText: `任务数设为 ${n0}` });
    expect(await latest.getByRole('cell').nth(1).innerText()).toBe('普查办管理员');

    // "None exist here" for the third village.
    await history.getByRole('combobox', { name: /^区划/ }).selectOption(V1[2]);
    await history.getByRole('button', { name: '查看记录' }).click();
    await history.getByText(/^当前任务数 \d+$/).waitFor();
    const save = history.getByRole('button', { name: '保存声明' });
    expect(await save.isDisabled()).toBe(true);
    await history.getByLabel('本区划没有此类对象').check();
    await save.click();
    await page.getByRole('status').filter({ hasText: '已保存。' }).waitFor();
    await history.getByText(/（已声明无此类对象）/).waitFor();
    await history.getByRole('row').filter({ hasText: '声明本区划无此类对象' }).waitFor();
    expect((await admin.get(`/api/targets/history?formId=${FORM}&regionCode=${V1[2]}`)).body.attestedNone).toBe(true);
    await screenshot(page, 'data-targets');
    expect(await axeViolations(page), 'targets tab').toEqual([]);
  });
});

describe('briefing', () => {
  it('is Chinese by default and names every sector, switches to English, and prints without the navigation', async () => {
    await page.goto(`${stack.url}/data`);
    await page.getByRole('link', { name: '打开进展简报（可打印）' }).click();
    await page.waitForURL(/\/briefing$/);
    await page.getByRole('heading', { name: '自然灾害综合风险普查进展简报', level: 1 }).waitFor();
    const text = page.getByTestId('briefing-text');
    await text.waitFor();
    const zh = await text.innerText();
    expect(zh).toMatch(/^截至\d{4}年\d{1,2}月\d{1,2}日，江滨区/);
    for (const s of SECTORS) {
      expect(zh).toContain(s.system.zh);
      await page.getByRole('rowheader', { name: s.name.zh, exact: true }).waitFor();
    }
    await screenshot(page, 'briefing-zh');
    expect(await axeViolations(page), 'briefing').toEqual([]);

    // The print button prints (window.print is replaced to count calls).
    await page.evaluate(() => {
      (window as unknown as { printed: number }).printed = 0;
      window.print = () => void (window as unknown as { printed: number }).printed++;
    });
    await page.getByRole('button', { name: '打印' }).click();
    expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);

    // The print stylesheet: navigation and toolbar hidden, the sheet kept.
    const nav = page.getByRole('navigation', { name: '主菜单' });
    expect(await nav.isVisible()).toBe(true);
    await page.emulateMedia({ media: 'print' });
    expect(await nav.isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: '打印' }).isVisible()).toBe(false);
    expect(await text.isVisible()).toBe(true);
    await page.emulateMedia({ media: 'screen' });
    expect(await nav.isVisible()).toBe(true);

    // English: the paragraph is rewritten by the server in English.
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'Natural Disaster Risk Census — progress briefing', level: 1 }).waitFor();
    await expect.poll(() => text.innerText()).toMatch(/^As of \d{1,2} \w+ \d{4}, the natural-disaster risk census in Jiangbin District/);
    const en = (await text.innerText()).toLowerCase();
    for (const s of SECTORS) {
      expect(en).toContain(s.system.en);
      await page.getByRole('rowheader', { name: s.name.en, exact: true }).waitFor();
    }
    await page.getByRole('button', { name: 'Print' }).waitFor();
    await screenshot(page, 'briefing-en');
    await page.getByLabel('Language').selectOption('zh');
    await page.getByRole('heading', { name: '自然灾害综合风险普查进展简报', level: 1 }).waitFor();
  });
});

describe('accessibility', () => {
  it('has no serious or critical axe violations on the data tabs in their first state', async () => {
    for (const [name, key] of [
      ['导出', 'exports'],
      ['批量导入', 'imports'],
      ['区划导入', 'regions'],
      ['任务量导入', 'targets'],
    ] as const) {
      await page.goto(`${stack.url}/data?tab=${key}`);
      await page.getByRole('tabpanel', { name }).waitFor();
      expect(await axeViolations(page), name).toEqual([]);
    }
  });
});
