/**
 * Filling a census form in a real browser: staff of the housing sector fill `housing.rural-house` from My tasks (live
 * validation, "other → text", a photo upload, submit), a reviewer returns it with a note, staff see the note first in
 * My submissions, correct and resubmit, the reviewer approves, and the form's progress on My tasks goes up.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, launchBrowser, screenshot, signIn, startWebStack } from './support';
import { ifMatch, login, type Client, type TestStack } from '../support/stack';

let stack: TestStack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const VILLAGE = '420999001001';

function taskCard(page: Page) {
  return page.getByRole('article', { name: '农村住宅建筑调查表' });
}

/** "完成 x%（done/target）" of the rural-house card on My tasks → done. */
async function doneOnTasks(page: Page): Promise<number> {
  const text = await taskCard(page).locator('.ptext').innerText();
  const m = /（(\d+)\/(\d+)）/.exec(text);
  if (!m) throw new Error(`no progress in "${text}"`);
  return Number(m[1]);
}

async function review(c: Client, id: string, decision: 'approve' | 'return', note?: string) {
  const cur = await c.get(`/api/submissions/${id}`);
  expect(cur.status).toBe(200);
  const r = await c.post(`/api/submissions/${id}/review`, { decision, ...(note ? { note } : {}) }, ifMatch(cur.body.version));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe('filling housing.rural-house', () => {
  it('validates live, uploads a photo, submits; is returned with a note, corrected, resubmitted and approved', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, stack.url, 'staff-housing');
    await page.waitForURL(/\/tasks$/);
    await taskCard(page).waitFor();
    const doneBefore = await doneOnTasks(page);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'tasks');

    // New record in the first village, from the form's card.
    await taskCard(page).getByLabel('新建记录的区划').selectOption(VILLAGE);
    await taskCard(page).getByRole('button', { name: /新建/ }).click();
    await page.waitForURL(/\/fill\/housing\.rural-house\?region=420999001001&id=[0-9a-f-]{36}$/);
    const id = new URL(page.url()).searchParams.get('id')!;
    await page.getByRole('heading', { level: 1, name: '农村住宅建筑调查表' }).waitFor();

    // Submitting an empty form: a summary of the problems on top, each linked to its field.
    await page.getByRole('button', { name: '提交', exact: true }).click();
    const summary = page.getByRole('group', { name: /提交前请修改以下 \d+ 处问题/ });
    await summary.waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id ?? '')).not.toBe('f-householder');
    await summary.getByRole('link', { name: /^户主姓名：此项为必填项/ }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('f-householder');

    await page.getByLabel('户主姓名').fill('王德顺');

    // Live validation from the shared validator: floors 0 and year 2025 are wrong as soon as they are typed.
    const floors = page.getByLabel(/^层数/);
    await floors.fill('0');
    await expect.poll(() => page.locator('#f-floors-msg').innerText()).toContain('不能小于 1');
    expect(await floors.getAttribute('aria-invalid')).toBe('true');
    expect(await floors.getAttribute('aria-describedby')).toContain('f-floors-msg');
    await floors.fill('2');
    await expect.poll(() => page.locator('#f-floors-msg').innerText()).toBe('');

    const year = page.getByLabel(/^建成时间/);
    await year.fill('2025');
    await expect.poll(() => page.locator('#f-year_built-msg').innerText()).toContain('不能大于 2020');
    await year.fill('2006');
    await expect.poll(() => page.locator('#f-year_built-msg').innerText()).toBe('');

    await page.getByLabel(/^建筑面积/).fill('186.4');

    // "Other" structure: its text field appears only when other is chosen.
    const other = page.getByLabel(/^其他结构类型/);
    expect(await other.count()).toBe(0);
    await page.getByLabel(/^结构类型/).selectOption('other');
    await other.waitFor();
    await other.fill('砖木混合');

    await page.getByRole('group', { name: /是否进行过抗震加固/ }).getByLabel('否').check();
    await page.getByLabel('纬度').fill('30.5928');
    await page.getByLabel('经度').fill('114.3055');

    // A photo: the draft is created, the file goes to storage with a presigned POST, a thumbnail appears.
    const photos = page.getByRole('group', { name: /房屋照片/ });
    await photos.getByLabel('选择或拍摄照片').setInputFiles({ name: '外观.png', mimeType: 'image/png', buffer: PNG });
    await photos.getByRole('img', { name: '照片 1' }).waitFor();
    await page.getByText(/已自动保存/).waitFor();
    await screenshot(page, 'form-rural-house');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('button', { name: '提交', exact: true }).click();
    await page.getByText('已提交，等待审核。').waitFor();

    // My submissions shows it as submitted.
    await page.getByRole('navigation').getByRole('link', { name: '我的填报' }).click();
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('已提交');

    // The reviewer returns it with a note (through the API).
    const reviewer = await login(stack.url, 'reviewer-housing');
    await review(reviewer, id, 'return', '建筑面积与图斑不符，请核实层数');

    // Staff: the returned record comes first, with the note, and can be corrected and resubmitted.
    await page.reload();
    const returned = page.getByRole('region', { name: /被退回，待修改/ });
    await returned.waitFor();
    const first = page.locator('main h2').first();
    expect(await first.innerText()).toContain('被退回');
    expect(await returned.innerText()).toContain('建筑面积与图斑不符，请核实层数');
    expect(await axeViolations(page)).toEqual([]);
    await returned.getByRole('link', { name: /修改并重新提交/ }).click();
    await page.waitForURL(new RegExp(`/submissions/${id}$`));
    await page.getByRole('note').getByText('建筑面积与图斑不符，请核实层数').waitFor();
    // The uploaded photo is shown from storage through a download link.
    await page.getByRole('group', { name: /房屋照片/ }).getByRole('img', { name: '照片 1' }).waitFor();
    await page.getByLabel(/^层数/).fill('3');
    await page.getByRole('button', { name: '提交', exact: true }).click();
    await page.getByText('已提交，等待审核。').waitFor();
    const after = await reviewer.get(`/api/submissions/${id}`);
    expect(after.body.status).toBe('submitted');
    expect(after.body.data.floors).toBe(3);
    expect(after.body.data.structure_other).toBe('砖木混合');
    expect(after.body.data.photos).toHaveLength(1);

    // Approved → the form's progress on My tasks goes up by one.
    await review(reviewer, id, 'approve');
    await page.getByRole('navigation').getByRole('link', { name: '我的任务' }).click();
    await taskCard(page).waitFor();
    expect(await doneOnTasks(page)).toBe(doneBefore + 1);
    await context.close();
  }, 60_000);

  it('explains that someone else changed the record, and reloads the latest version', async () => {
    const api = await login(stack.url, 'staff-housing');
    const id = randomUUID();
    const body = { formId: 'housing.rural-house', regionCode: VILLAGE, data: { householder: '李四' } };
    expect((await api.put(`/api/submissions/${id}`, body)).status).toBe(201);

    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await signIn(context, stack.url, 'staff-housing');
    await page.goto(`${stack.url}/submissions/${id}`);
    const name = page.getByLabel('户主姓名');
    await name.waitFor();
    expect(await name.inputValue()).toBe('李四');

    // A colleague saves first; this page's next save carries a stale If-Match.
    expect((await api.put(`/api/submissions/${id}`, { ...body, data: { householder: '张三' } }, ifMatch(1))).status).toBe(200);
    await name.fill('王五');
    await page.keyboard.press('Tab');
    await page.getByRole('alert').filter({ hasText: '此记录已被其他人修改' }).waitFor();
    expect((await api.get(`/api/submissions/${id}`)).body.data.householder).toBe('张三');
    await page.getByRole('button', { name: '重新加载最新内容' }).click();
    await expect.poll(() => page.getByLabel('户主姓名').inputValue()).toBe('张三');
    await context.close();
  });

  it('My tasks fits a 390 px phone screen without horizontal scrolling', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await signIn(context, stack.url, 'staff-housing');
    await taskCard(page).waitFor();
    const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await screenshot(page, 'tasks-390');
    await context.close();
  });
});
