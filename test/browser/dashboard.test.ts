/**
 * The progress dashboard and the target editor in a real browser: sector → part → form drill-down (mouse and
 * keyboard), region drill-down and back up the breadcrumb, the sortable lagging list, the trend chart with its table;
 * the admin editing targets inline and pasting lines from a spreadsheet, with /api/progress following.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { screenshot, startAdminSession, type AdminSession } from './support';
import { ifMatch, login, newId, type Client, type TestStack } from '../support/stack';

const COUNTY = '420999000000';
const T1 = '420999001000';
const FORM = 'housing.rural-house';

let session: AdminSession;
let stack: TestStack;
let admin: Client;
/** One signed-in admin page for the whole file (signing in is deliberately slow: scrypt). */
let page: Page;
beforeAll(async () => {
  session = await startAdminSession();
  ({ stack, admin, page } = session);
  // One approved record in the first township, so the townships' completion differs.
  const staff = await login(stack.url, 'staff-housing');
  const id = newId();
  const data = { householder: '张三', floors: 2, floor_area: 120.5, year_built: 1998, structure: 'masonry', strengthened: false, location: { lat: 30.5, lng: 114.3 } };
  const r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: FORM, regionCode: '420999001001', data });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect((await admin.post(`/api/submissions/${id}/review`, { decision: 'approve' }, ifMatch(r.body.version))).status).toBe(200);
});
afterAll(async () => {
  await session?.close();
});

async function columnTexts(table: Locator, col: number): Promise<string[]> {
  return table.locator('tbody tr').evaluateAll((rows, c) => rows.map((r) => (r.children[c] as HTMLElement).innerText.trim()), col);
}
const pctOf = (s: string) => Number(s.replace('%', ''));
const numOf = (s: string) => Number(s.replace(/[,，]/g, ''));

describe('dashboard', () => {
  it('drills down by sector and by region, sorts the lagging list and shows the trend with its table', async () => {
    await page.waitForURL(/\/dashboard$/); // where the admin lands
    await page.reload(); // after the approval made in beforeAll
    await page.getByRole('heading', { name: '江滨区（演示）完成率' }).waitFor();

    // sector → part → form
    const housing = page.getByRole('button', { name: '住房和城乡建设' });
    expect(await housing.getAttribute('aria-expanded')).toBe('false');
    await housing.click();
    expect(await housing.getAttribute('aria-expanded')).toBe('true');
    const rural = page.getByRole('button', { name: '农村房屋' });
    await rural.click();
    expect(await rural.getAttribute('aria-expanded')).toBe('true');
    const formRow = page.getByRole('row').filter({ hasText: '农村住宅建筑调查表' });
    await formRow.waitFor();
    const api = (await admin.get(`/api/progress?region=${COUNTY}`)).body;
    const ruralApi = api.sectors.find((s: { sector: string }) => s.sector === 'housing').parts.find((p: { part: string }) => p.part === 'rural').forms.find((f: { formId: string }) => f.formId === FORM).total;
    expect(await formRow.getByRole('progressbar').getAttribute('aria-valuenow')).toBe(String(ruralApi.pct));
    expect(numOf(await formRow.locator('td').nth(1).innerText())).toBe(ruralApi.target);
    expect(numOf(await formRow.locator('td').last().innerText())).toBe(ruralApi.remaining);

    // The same with the keyboard only.
    const emergency = page.getByRole('button', { name: '应急管理' });
    await emergency.focus();
    await page.keyboard.press('Enter');
    expect(await emergency.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('button', { name: '公共服务设施' }).waitFor();
    await page.keyboard.press('Space');
    expect(await emergency.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByRole('button', { name: '公共服务设施' }).count()).toBe(0);
    await screenshot(page, 'dashboard');

    // Lagging regions: sorted by completion first; the header buttons re-sort and say so with aria-sort.
    const lagging = page.getByRole('region', { name: '进度落后的区划' });
    const table = lagging.getByRole('table');
    const header = (name: string) => lagging.getByRole('columnheader', { name: new RegExp(name) });
    expect(await header('完成率').getAttribute('aria-sort')).toBe('ascending');
    const byPct = (await columnTexts(table, 1)).map(pctOf);
    expect(byPct).toEqual([...byPct].sort((a, b) => a - b));
    expect(byPct.at(-1)).toBeGreaterThan(byPct[0]!);
    await lagging.getByRole('button', { name: /名称/ }).click();
    expect(await header('名称').getAttribute('aria-sort')).toBe('ascending');
    expect(await header('完成率').getAttribute('aria-sort')).toBeNull();
    const names = await columnTexts(table, 0);
    expect(names).toEqual([...names].sort(new Intl.Collator('zh-CN').compare));
    await lagging.getByRole('button', { name: /名称/ }).click();
    expect(await header('名称').getAttribute('aria-sort')).toBe('descending');
    expect(await columnTexts(table, 0)).toEqual([...names].reverse());
    await lagging.getByRole('button', { name: /剩余/ }).click();
    expect(await header('剩余').getAttribute('aria-sort')).toBe('descending');
    const remaining = (await columnTexts(table, 2)).map(numOf);
    expect(remaining).toEqual([...remaining].sort((a, b) => b - a));

    // Trend: a chart canvas with a name, and the same numbers in a table for screen readers.
    const chart = page.getByRole('img', { name: /折线图/ });
    expect(await chart.evaluate((el) => el.tagName)).toBe('CANVAS');
    expect((await chart.boundingBox())!.height).toBeGreaterThan(100);
    const trendTable = page.getByRole('table', { name: /完成率变化（按日）/ });
    const lastRow = trendTable.locator('tbody tr').last();
    expect(await lastRow.locator('td').first().textContent()).toBe(await page.getByTestId('headline-pct').textContent());

    // Region drill-down and back up the breadcrumb.
    const regions = page.getByRole('region', { name: '下级区划进度' });
    await regions.getByRole('link', { name: '青山街道' }).click();
    await page.waitForURL(new RegExp(`region=${T1}`));
    await page.getByRole('heading', { name: '青山街道完成率' }).waitFor();
    const crumbs = page.getByRole('navigation', { name: '区划层级' });
    expect(await crumbs.getByText('青山街道').getAttribute('aria-current')).toBe('page');
    await regions.getByRole('link', { name: '青山社区' }).click();
    await page.getByRole('heading', { name: '青山社区完成率' }).waitFor();
    await page.getByText('青山社区没有下级区划。').waitFor();
    await crumbs.getByRole('link', { name: '青山街道' }).click();
    await page.getByRole('heading', { name: '青山街道完成率' }).waitFor();
    await crumbs.getByRole('link', { name: '江滨区（演示）' }).click();
    await page.getByRole('heading', { name: '江滨区（演示）完成率' }).waitFor();
  });

  it('fits a 390 px phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole('heading', { name: '江滨区（演示）完成率' }).waitFor();
    await page.getByRole('button', { name: '住房和城乡建设' }).click();
    await page.getByRole('img', { name: /折线图/ }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'dashboard-phone');
    await page.setViewportSize({ width: 1280, height: 720 });
  });
});

describe('targets', () => {
  it('edits a target inline and pastes lines from a spreadsheet; progress follows', async () => {
    await page.goto(`${stack.url}/admin`);
    await page.getByLabel('调查表', { exact: true }).selectOption(FORM);
    await page.waitForURL(/form=housing\.rural-house/);

    const v1 = page.getByLabel('青山社区的任务数');
    await v1.fill('-3');
    await page.getByText('任务数应为 0 到 1000000 的整数').waitFor();
    expect(await v1.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: '保存修改（1）' }).click();
    await page.getByText('请先改正表中标出的任务数。').waitFor();
    await v1.fill('12');
    await page.getByRole('button', { name: '保存修改（1）' }).click();
    await page.getByText('已保存 1 项任务量。').waitFor();
    expect(await v1.inputValue()).toBe('12');

    const paste = page.getByLabel('粘贴内容（区划代码或名称，任务数）');
    await paste.fill('420999001002\t15\n建设村,9\n不存在村\t5');
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('1 行有错误，这些行不会保存：').waitFor();
    await page.getByText('第 3 行：找不到区划“不存在村”', { exact: false }).waitFor();
    await page.getByText('2 行可以保存：').waitFor();
    await page.getByRole('button', { name: '保存这 2 行' }).click();
    await page.getByText('已保存 2 项任务量。').waitFor();
    await expect.poll(() => page.getByLabel('红钢城村的任务数').inputValue()).toBe('15');
    expect(await page.getByLabel('建设村的任务数').inputValue()).toBe('9');

    const r = await admin.get(`/api/progress?region=${T1}&sector=housing`);
    const form = r.body.sectors[0].parts.find((p: { part: string }) => p.part === 'rural').forms.find((f: { formId: string }) => f.formId === FORM);
    expect(form.total.target).toBe(12 + 15 + 9);

    // A 422 from the server lands on the row it names.
    await page.route('**/api/targets', (route) =>
      route.request().method() === 'PUT'
        ? route.fulfill({
            status: 422,
            contentType: 'application/problem+json',
            body: JSON.stringify({ status: 422, code: 'validation.failed', title: 'x', errors: [{ path: 'targets[0].target', code: 'invalid', message: { zh: '服务器拒绝了此任务数', en: 'Rejected' } }] }),
          })
        : route.continue(),
    );
    const v3 = page.getByLabel('建设村的任务数');
    await v3.fill('10');
    await page.getByRole('button', { name: '保存修改（1）' }).click();
    await page.getByText('服务器拒绝了此任务数').waitFor();
    expect(await v3.getAttribute('aria-invalid')).toBe('true');
    await page.getByText('未能保存：有 1 项需要修改，见表中提示。').waitFor();
    await page.unroute('**/api/targets');

    // Members have their own page now (members.test.ts); the admin page links to it.
    await page.getByRole('link', { name: '前往成员管理' }).waitFor();
    await screenshot(page, 'admin-targets');
  });
});
