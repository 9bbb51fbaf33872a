/**
 * Survey objects in a real browser, the way a district runs the listing and then the survey: the office imports the
 * school listing from a CSV (one row names a region that does not exist: the preview locates it by row and column,
 * in Chinese, and import stays disabled), fixes the file and imports it; the new objects are listed and one is
 * assigned to the emergency sector's staff member, who finds it on My tasks and opens it — landing on the school form
 * for that object, its name shown and filled in, the object now surveyed (the record names it); offline, My tasks
 * still lists it from the device's copy. Then the office imports township/village boundaries from a zipped shapefile
 * whose DBF is in GBK with a .cpg saying 936: the preview shows the Chinese names intact, and the upload reports what
 * matched and what did not. axe finds nothing serious on the three screens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeViolations, screenshot, signIn, startAdminSession, type AdminSession } from './support';
import { squareRing, zipShapefile, type PolygonFeature } from '../support/shapefile';

const FORM = 'emergency.school';
/** 红钢城村, in 青山街道 — the township of the demo emergency staff member. */
const VILLAGE = '420999001002';
const HEADER = 'code,name,region_code,lat,lng';
const GOOD_1 = `T16-001,测试小学,${VILLAGE},30.612,114.311`;
const GOOD_2 = `T16-002,测试幼儿园,${VILLAGE},30.614,114.315`;
const BAD_2 = `T16-002,测试幼儿园,420999009999,30.614,114.315`;

let s: AdminSession;
beforeAll(async () => {
  s = await startAdminSession({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await s?.close();
});

/** Message keys shown as they are (a string missing from the catalog shows its key). */
async function rawKeys(page: Page): Promise<string[]> {
  return (await page.locator('main').innerText()).match(/\b(?:objects|myObjects|boundaries|fill)\.[\w.-]+/g) ?? [];
}

const csv = (...rows: string[]) => Buffer.from([HEADER, ...rows].join('\r\n') + '\r\n', 'utf8');

describe('survey objects', () => {
  it('imports a listing (a bad row located, then fixed), assigns an object, and staff open it from My tasks', async () => {
    const { stack, browser, page } = s;
    await page.goto(`${stack.url}/objects?form=${FORM}`);
    await page.getByRole('heading', { level: 1, name: '调查对象' }).waitFor();
    await page.getByRole('heading', { name: '导入名录' }).waitFor();
    expect(await page.getByLabel('调查表（名录）').inputValue()).toBe(FORM);

    // ── A file with one bad row: located by row and column, in Chinese; import stays disabled.
    const file = page.getByLabel('名录文件');
    await file.setInputFiles({ name: '学校名录.csv', mimeType: 'text/csv', buffer: csv(GOOD_1, BAD_2) });
    await page.getByRole('button', { name: '预览' }).click();
    const errors = page.getByTestId('import-errors');
    await errors.waitFor();
    const rows = errors.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const cells = await rows.first().locator('td').allInnerTexts();
    expect(cells[0]).toBe('3');
    expect(cells[1]).toBe('行政区划代码（region_code）');
    expect(cells[2]).toMatch(/[\u4e00-\u9fff]/);
    await page.getByText('文件中有 1 处错误').waitFor();
    await page.getByText('共 2 行，有效 1 行。').waitFor();
    const commit = page.getByRole('button', { name: '确认导入' });
    expect(await commit.isDisabled()).toBe(true);
    expect(await axeViolations(page), 'objects import preview').toEqual([]);
    expect(await rawKeys(page)).toEqual([]);
    await screenshot(page, 'objects-import-error');

    // ── Fixed: two to create, imported.
    await file.setInputFiles({ name: '学校名录.csv', mimeType: 'text/csv', buffer: csv(GOOD_1, GOOD_2) });
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('将新增 2 个，更新 0 个，0 个不变。').waitFor();
    expect(await page.getByTestId('import-errors').count()).toBe(0);
    expect(await commit.isEnabled()).toBe(true);
    await commit.click();
    await page.getByTestId('import-result').getByText('导入完成：新增 2 个，更新 0 个，0 个不变。').waitFor();

    // ── Listed (searched by code), with their status.
    await page.getByLabel('搜索名称或编码').fill('T16-');
    await page.getByRole('button', { name: '搜索', exact: true }).click();
    await page.waitForURL(/[?&]q=T16-/);
    const row1 = page.locator(`tr[data-object="${FORM}~T16-001"]`);
    await row1.getByRole('cell', { name: '测试小学', exact: true }).waitFor();
    await row1.getByText('待调查').waitFor();
    await page.locator(`tr[data-object="${FORM}~T16-002"]`).getByRole('cell', { name: '测试幼儿园', exact: true }).waitFor();
    await page.getByTestId('object-counts').getByText('共 2 个').waitFor();

    // ── Assigned to the emergency staff member.
    const members = (await s.admin.get('/api/members')).body as { userId: string; username: string }[];
    const staffId = members.find((m) => m.username === 'staff-emergency')!.userId;
    await row1.getByRole('checkbox', { name: '选择 T16-001 测试小学' }).check();
    await page.getByLabel('填报员', { exact: true }).selectOption(staffId);
    await page.getByRole('button', { name: '分配所选（1 个）' }).click();
    await page.getByText('已分配 1 个调查对象。').waitFor();
    await row1.getByText('应急填报员').waitFor();
    const assigned = (await s.admin.get(`/api/objects/${encodeURIComponent(`${FORM}~T16-001`)}`)).body;
    expect(assigned.assignee).toBe(staffId);

    // ── Closing an object needs a note; a change someone made meanwhile is reported (412), not overwritten.
    const row2 = page.locator(`tr[data-object="${FORM}~T16-002"]`);
    const id2 = encodeURIComponent(`${FORM}~T16-002`);
    const opened = page.waitForResponse((r) => r.url().endsWith(`/api/objects/${id2}`) && r.request().method() === 'GET');
    await row2.getByRole('button', { name: /更改状态.*测试幼儿园/ }).click();
    await opened;
    const noteField = page.getByLabel('说明（必填）');
    expect(await page.getByLabel('改为').inputValue()).toBe('not-required');
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByText('请填写说明。').waitFor();
    const before = await s.admin.get(`/api/objects/${id2}`);
    const meanwhile = await s.admin.post(`/api/objects/${id2}/status`, { status: 'duplicate', note: '与 T16-001 为同一学校' }, { 'if-match': before.headers.get('etag')! });
    expect(meanwhile.status).toBe(200);
    await noteField.fill('学校已撤并');
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByText('测试幼儿园 刚被其他人修改过，列表已刷新。').waitFor();
    await row2.getByText('重复', { exact: true }).waitFor();
    expect((await s.admin.get(`/api/objects/${id2}`)).body.status).toBe('duplicate');
    // On the current version the change goes through: back to pending, with its note.
    await row2.getByRole('button', { name: /更改状态.*测试幼儿园/ }).click();
    await page.getByLabel('改为').selectOption('pending');
    await noteField.fill('核实后不是重复');
    await page.getByRole('button', { name: '确定' }).click();
    await page.getByText('测试幼儿园 已改为“待调查”。').waitFor();
    await row2.getByText('核实后不是重复').waitFor();
    expect((await s.admin.get(`/api/objects/${id2}`)).body).toMatchObject({ status: 'pending', note: '核实后不是重复' });
    expect(await axeViolations(page), 'objects list').toEqual([]);
    expect(await rawKeys(page)).toEqual([]);
    await screenshot(page, 'objects-list');

    // ── Staff: My tasks lists it among the pending objects; opening it starts its record.
    // A phone in the field, 0.01° east of the school (about 957 m at this latitude).
    const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 400, height: 860 }, geolocation: { latitude: 30.612, longitude: 114.321 }, permissions: ['geolocation'] });
    try {
      const staff = await signIn(ctx, stack.url, 'staff-emergency');
      await staff.waitForURL(/\/tasks$/);
      const mine = staff.getByTestId('my-objects');
      await mine.getByRole('heading', { name: '分配给我的调查对象' }).waitFor();
      const pending = mine.getByRole('region', { name: /^待调查（\d+）$/ });
      const link = pending.getByRole('link', { name: 'T16-001 测试小学' });
      await link.waitFor();
      // Not in the list: the object that was not assigned.
      expect(await mine.getByText('测试幼儿园').count()).toBe(0);
      // Nearest first, once asked: the distance is shown.
      await mine.getByRole('button', { name: '按距离排序（使用我的位置）' }).click();
      await mine.getByText(/^已按与您的距离排序/).waitFor();
      expect(await mine.locator(`li[data-object="${FORM}~T16-001"]`).innerText()).toContain('距离 960 m');
      // An object found in the field (新增): added from My tasks, the code generated, listed as pending.
      await mine.getByText('新增调查对象', { exact: true }).click();
      await mine.getByLabel('调查表（名录）').selectOption(FORM);
      await mine.getByLabel('名称', { exact: true }).fill('新发现的幼儿园');
      await mine.getByLabel('所在区划').selectOption(VILLAGE);
      await mine.getByRole('button', { name: '添加', exact: true }).click();
      await mine.getByText(/^已新增 新发现的幼儿园（.+）。$/).waitFor();
      await pending.getByRole('link', { name: /新发现的幼儿园/ }).waitFor();
      const found = (await s.admin.get(`/api/objects?formId=${FORM}&q=${encodeURIComponent('新发现')}`)).body.items as { found?: boolean; createdBy: string; assignee?: string; regionCode: string }[];
      expect(found).toHaveLength(1);
      expect(found[0]).toMatchObject({ found: true, createdBy: staffId, assignee: staffId, regionCode: VILLAGE });
      expect(await axeViolations(staff), 'tasks with objects').toEqual([]);
      expect(await rawKeys(staff)).toEqual([]);
      await screenshot(staff, 'tasks-objects');
      await link.click();
      await staff.waitForURL(new RegExp(`/fill/${FORM.replace('.', '\\.')}\\?.*object=${encodeURIComponent(`${FORM}~T16-001`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      const header = staff.getByTestId('fill-object');
      await header.getByText('T16-001 · 测试小学 · 红钢城村').waitFor();
      await expect.poll(() => staff.getByLabel('学校名称').inputValue()).toBe('测试小学');
      expect(new URL(staff.url()).searchParams.get('region')).toBe(VILLAGE);
      // The record names the object: it is surveyed now, by that record.
      const sid = new URL(staff.url()).searchParams.get('id')!;
      const record = (await s.admin.get(`/api/submissions/${sid}`)).body;
      expect(record.objectId).toBe(`${FORM}~T16-001`);
      const surveyed = (await s.admin.get(`/api/objects/${encodeURIComponent(`${FORM}~T16-001`)}`)).body;
      expect(surveyed.status).toBe('surveyed');
      expect(surveyed.submissionId).toBe(sid);

      // Offline, My tasks shows the list this device kept, and says as of when.
      await ctx.setOffline(true);
      await staff.getByRole('navigation').getByRole('link', { name: '我的任务' }).click();
      await staff.waitForURL(/\/tasks$/);
      await mine.getByText(/^离线，显示的是 .+ 的列表。$/).waitFor();
      await mine.getByRole('link', { name: 'T16-001 测试小学' }).waitFor();
      await ctx.setOffline(false);
    } finally {
      await ctx.close();
    }
  }, 180_000);

  it('imports boundaries from a zipped GBK shapefile: Chinese names in the preview, matched and unmatched codes', async () => {
    const { stack, page } = s;
    const features: PolygonFeature[] = [
      { rings: [squareRing(30.6, 114.3, 0.02)], attributes: { XZQDM: '420999001000', XZQMC: '示范镇' } },
      { rings: [squareRing(30.605, 114.305, 0.004)], attributes: { XZQDM: '420999001001', XZQMC: '东湖村' } },
      { rings: [squareRing(30.7, 114.4, 0.01)], attributes: { XZQDM: '420999009000', XZQMC: '外区镇' } },
    ];
    const zip = zipShapefile(features, { encoding: 'gbk', cpg: '936', name: '乡镇边界' });
    await page.goto(`${stack.url}/objects/boundaries`);
    await page.getByRole('heading', { level: 1, name: '导入区划边界' }).waitFor();
    await page.getByLabel('边界文件').setInputFiles({ name: 'boundaries.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
    const preview = page.getByTestId('boundary-preview');
    await preview.waitFor();
    await preview.getByRole('cell', { name: '示范镇', exact: true }).waitFor();
    await preview.getByRole('cell', { name: '东湖村', exact: true }).waitFor();
    await preview.getByRole('cell', { name: '420999001001', exact: true }).waitFor();
    await page.getByText('.cpg 文件内容：936').waitFor();
    expect(await page.getByTestId('encoding-used').innerText()).toContain('GBK');
    expect(await page.getByLabel('区划代码字段').inputValue()).toBe('XZQDM');
    // Read as UTF-8 instead, the names are garbled: what the preview is there to show.
    await page.getByLabel('属性表编码').selectOption('utf-8');
    await expect.poll(() => preview.getByRole('cell', { name: '示范镇', exact: true }).count()).toBe(0);
    await page.getByLabel('属性表编码').selectOption('auto');
    await preview.getByRole('cell', { name: '示范镇', exact: true }).waitFor();
    expect(await axeViolations(page), 'boundaries preview').toEqual([]);
    expect(await rawKeys(page)).toEqual([]);
    await screenshot(page, 'boundaries-preview');

    await page.getByRole('button', { name: '上传边界（3 个）' }).click();
    const result = page.getByTestId('boundary-result');
    await result.getByText('已匹配 2 个区划。').waitFor();
    await result.getByText('420999009000').waitFor();
    const stored = (await s.admin.get('/api/regions/boundaries?level=village')).body as { features: { properties: { code: string } }[] };
    expect(stored.features.some((f) => f.properties.code === '420999001001')).toBe(true);
    expect(await axeViolations(page), 'boundaries result').toEqual([]);
  }, 120_000);
});
