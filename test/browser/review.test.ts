/**
 * Review in a real browser: staff files a housing.rural-house record with a photo through the API; the housing
 * reviewer finds it in the queue, sees the answers and the photo, is stopped from returning it without a note,
 * returns it with one; staff resubmits; the reviewer approves; the admin's dashboard shows the higher percentage.
 * Then bulk approval of several records, each with its own If-Match, with a per-item report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshot, signIn, startWebStack } from './support';
import { ifMatch, login, newId, uploadAttachment, type Client, type TestStack } from '../support/stack';

const FORM = 'housing.rural-house';
const V1 = '420999001001';
const V2 = '420999001002';
/** A real 1×1 PNG, so the thumbnail actually renders. */
const PNG = Uint8Array.from(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64'));

const ANSWERS = { householder: '张三', floors: 2, floor_area: 120.5, year_built: 1998, structure: 'masonry', strengthened: false, location: { lat: 30.512345, lng: 114.301234 } };

let stack: TestStack;
let browser: Browser;
let staff: Client;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
  staff = await login(stack.url, 'staff-housing');
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** Create a record (optionally with a photo) and submit it; returns its id. */
async function fileRecord(regionCode: string, withPhoto = false, householder = '张三'): Promise<string> {
  const id = newId();
  let r = await staff.put(`/api/submissions/${id}`, { formId: FORM, regionCode, data: { ...ANSWERS, householder } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const data: Record<string, unknown> = { ...ANSWERS, householder };
  if (withPhoto) data.photos = [await uploadAttachment(staff, id, 'photos', 'image/png', PNG)];
  r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: FORM, regionCode, data }, ifMatch(r.body.version));
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.status).toBe('submitted');
  return id;
}

/** The housing sector's completion at a region, as the dashboard's progress bar reports it. */
async function housingPct(page: Page, region: string): Promise<number> {
  await page.goto(`${stack.url}/dashboard?region=${region}`);
  const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: '住房和城乡建设' }) });
  const value = await row.getByRole('progressbar').getAttribute('aria-valuenow');
  expect(value).not.toBeNull();
  return Number(value);
}

describe('review', () => {
  it('returns a record with a required note, then approves the resubmission; the dashboard percentage rises', async () => {
    const id = await fileRecord(V1, true);

    const adminCtx = await browser.newContext();
    const admin = await signIn(adminCtx, stack.url, 'admin');
    const before = await housingPct(admin, V1);

    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'reviewer-housing');
    await page.waitForURL(/\/review$/);
    const row = page.getByRole('row').filter({ hasText: '青山社区' }).filter({ hasText: '农村住宅建筑调查表' });
    await row.waitFor();
    await expect(row.getByRole('cell', { name: '住建填报员' }).count()).resolves.toBe(1);
    await screenshot(page, 'review-queue');

    await row.getByRole('link', { name: /查看并审核/ }).click();
    await page.waitForURL(new RegExp(`/review/${id}$`));
    await page.getByRole('heading', { name: '审核：农村住宅建筑调查表' }).waitFor();
    // Labels from the definition, choice labels rather than codes, units, coordinates.
    await page.getByText('户主姓名').waitFor();
    await page.getByText('砌体结构').waitFor();
    await page.getByText('120.5 平方米').or(page.getByText('120.5 m²')).first().waitFor();
    await page.getByText(/纬度 30\.512345，经度 114\.301234/).waitFor();
    expect(await page.getByText('masonry', { exact: true }).count()).toBe(0);
    const photo = page.getByRole('img', { name: '房屋照片 第 1 张照片' });
    await photo.waitFor();
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    await screenshot(page, 'review-detail');

    // Return without a note: stopped in the browser, nothing sent.
    await page.getByRole('button', { name: '退回', exact: true }).click();
    await page.getByText('退回时必须填写原因').waitFor();
    expect(await page.getByLabel(/退回原因/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('review-note');
    expect((await staff.get(`/api/submissions/${id}`)).body.status).toBe('submitted');

    await page.getByLabel(/退回原因/).fill('请补拍房屋正面照片');
    await page.getByRole('button', { name: '退回', exact: true }).click();
    await page.getByText('已退回，填报员将看到退回原因。').waitFor();
    let s = (await staff.get(`/api/submissions/${id}`)).body;
    expect(s).toMatchObject({ status: 'returned', reviewNote: '请补拍房屋正面照片' });

    // Staff edits and resubmits through the API.
    const r = await staff.put(`/api/submissions/${id}?submit=true`, { formId: FORM, regionCode: V1, data: { ...s.data, floors: 3 } }, ifMatch(s.version));
    expect(r.status, JSON.stringify(r.body)).toBe(200);

    await page.getByRole('link', { name: '返回审核队列' }).first().click();
    await page.waitForURL(/\/review$/);
    await row.getByRole('link', { name: /查看并审核/ }).click();
    await page.getByRole('button', { name: '通过', exact: true }).click();
    await page.getByText('已通过。').waitFor();
    s = (await staff.get(`/api/submissions/${id}`)).body;
    expect(s.status).toBe('approved');
    expect(s.history.map((h: { action: string }) => h.action)).toEqual(['created', 'updated', 'submitted', 'returned', 'updated', 'submitted', 'approved']);
    // The history on the page follows, with the note.
    await page.getByRole('cell', { name: '请补拍房屋正面照片' }).waitFor();

    const after = await housingPct(admin, V1);
    expect(after).toBeGreaterThan(before);
    await screenshot(admin, 'dashboard-after-approval');
    await ctx.close();
    await adminCtx.close();
  });

  it('bulk-approves the selected records, each with its own If-Match, and reports each outcome', async () => {
    const ids = [await fileRecord(V2, false, '李四'), await fileRecord(V2, false, '王五'), await fileRecord(V2, false, '赵六'), await fileRecord(V2, false, '钱七')];
    const versions = new Map<string, number>();
    for (const id of ids) versions.set(id, (await staff.get(`/api/submissions/${id}`)).body.version);

    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'reviewer-housing');
    await page.goto(`${stack.url}/review?region=${V2}`);
    const rows = page.getByRole('row').filter({ hasText: '红钢城村' });
    await expect.poll(() => rows.count()).toBe(4);

    // Meanwhile another reviewer (the admin) approves the last one: its bulk approval must fail, alone.
    const adminApi = await login(stack.url, 'admin');
    const late = ids[3]!;
    expect((await adminApi.post(`/api/submissions/${late}/review`, { decision: 'approve' }, ifMatch(versions.get(late)!))).status).toBe(200);

    const sent: { id: string; ifMatch: string | undefined }[] = [];
    page.on('request', (req) => {
      const m = /\/api\/submissions\/([^/]+)\/review$/.exec(new URL(req.url()).pathname);
      if (m && req.method() === 'POST') sent.push({ id: m[1]!, ifMatch: req.headers()['if-match'] });
    });
    await page.getByLabel('全选已加载的记录').check();
    await page.getByRole('button', { name: '批量通过（4）' }).click();
    await page.getByText('批量通过完成：成功 3 条，未通过 1 条。').waitFor();
    const results = page.getByRole('status').getByRole('listitem');
    expect(await results.count()).toBe(4);
    expect(await results.filter({ hasText: '未通过' }).count()).toBe(1);
    expect(await results.filter({ hasText: '可能已被其他审核员处理' }).count()).toBe(1);

    expect(sent.map((x) => x.id).sort()).toEqual([...ids].sort());
    for (const x of sent) expect(x.ifMatch).toBe(`"${versions.get(x.id)}"`);
    for (const id of ids) expect((await staff.get(`/api/submissions/${id}`)).body.status).toBe('approved');
    // Approved rows leave the queue; the one that failed stays until the next load.
    await expect.poll(() => rows.count()).toBe(1);
    await page.reload();
    await page.getByText('没有符合筛选条件的待审核记录').waitFor();
    await ctx.close();
  });
});
