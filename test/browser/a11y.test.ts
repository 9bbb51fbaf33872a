/** axe-core on the pages of the review, dashboard, admin, members and forms areas (and login, my account): no serious or critical violations. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axeViolations, launchBrowser, signIn, startWebStack } from './support';
import { ifMatch, login, newId, uploadAttachment, type TestStack } from '../support/stack';

const FORM = 'housing.rural-house';
const PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));

let stack: TestStack;
let browser: Browser;
let recordId: string;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
  const staff = await login(stack.url, 'staff-housing');
  recordId = newId();
  let r = await staff.put(`/api/submissions/${recordId}`, { formId: FORM, regionCode: '420999001001', data: {} });
  expect(r.status).toBe(201);
  const photo = await uploadAttachment(staff, recordId, 'photos', 'image/png', PNG);
  const data = { householder: '张三', floors: 2, floor_area: 120.5, year_built: 1998, structure: 'masonry', strengthened: false, location: { lat: 30.5, lng: 114.3 }, photos: [photo] };
  r = await staff.put(`/api/submissions/${recordId}?submit=true`, { formId: FORM, regionCode: '420999001001', data }, ifMatch(r.body.version));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('accessibility (axe: no serious or critical violations)', () => {
  it('login', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${stack.url}/login`);
    await page.getByLabel('用户名').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await ctx.close();
  });

  it('review queue, review detail (with the note error showing) and dashboard', async () => {
    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'reviewer-housing');
    await page.waitForURL(/\/review$/);
    await page.getByRole('link', { name: /查看并审核/ }).first().waitFor();
    await page.getByLabel(/^选择：/).first().check();
    expect(await axeViolations(page), 'review queue').toEqual([]);

    await page.goto(`${stack.url}/review/${recordId}`);
    await page.getByRole('img', { name: '房屋照片 第 1 张照片' }).waitFor();
    await page.getByRole('button', { name: '退回', exact: true }).click();
    await page.getByText('退回时必须填写原因').waitFor();
    expect(await axeViolations(page), 'review detail').toEqual([]);

    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole('button', { name: '住房和城乡建设' }).click();
    await page.getByRole('button', { name: '农村房屋' }).click();
    await page.getByRole('img', { name: /折线图/ }).waitFor();
    expect(await axeViolations(page), 'dashboard').toEqual([]);
    await ctx.close();
  });

  it('admin: targets with a paste preview', async () => {
    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'admin');
    await page.goto(`${stack.url}/admin?form=${FORM}`);
    await page.getByLabel('青山社区的任务数').fill('-1');
    await page.getByLabel('粘贴内容（区划代码或名称，任务数）').fill('420999001002\t15\n没有这个村\t3');
    await page.getByRole('button', { name: '预览' }).click();
    await page.getByText('1 行有错误，这些行不会保存：').waitFor();
    expect(await axeViolations(page), 'admin').toEqual([]);
    await ctx.close();
  });

  it('members: the list, the add form with its errors, a member page; my account', async () => {
    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'admin');
    await page.goto(`${stack.url}/members`);
    await page.locator('tr[data-user="staff-housing"]').waitFor();
    expect(await axeViolations(page), 'members').toEqual([]);

    await page.goto(`${stack.url}/members/new`);
    await page.getByLabel('角色', { exact: true }).selectOption('staff');
    await page.getByRole('button', { name: '添加成员' }).click();
    await page.getByRole('group', { name: /请修改以下 \d+ 处问题/ }).waitFor();
    expect(await axeViolations(page), 'add member').toEqual([]);

    await page.goto(`${stack.url}/members`);
    await page.locator('tr[data-user="staff-housing"]').getByRole('link').click();
    await page.getByRole('heading', { name: '变更记录' }).waitFor();
    expect(await axeViolations(page), 'member page').toEqual([]);

    await page.goto(`${stack.url}/account`);
    await page.getByLabel('当前密码').waitFor();
    expect(await axeViolations(page), 'my account').toEqual([]);
    await ctx.close();
  });

  it('forms: the list, a form page and the upload page', async () => {
    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'admin');
    await page.goto(`${stack.url}/forms`);
    await page.locator(`tr[data-form="${FORM}"]`).waitFor();
    expect(await axeViolations(page), 'forms').toEqual([]);

    await page.goto(`${stack.url}/forms/${FORM}`);
    await page.locator('tr[data-version="1"]').waitFor();
    expect(await axeViolations(page), 'form page').toEqual([]);

    await page.goto(`${stack.url}/forms/upload`);
    await page.getByLabel('XLSForm 文件（.xlsx）').waitFor();
    expect(await axeViolations(page), 'upload').toEqual([]);
    await ctx.close();
  });
});
