/**
 * Who reaches what, in a real browser and at the API: staff never reach the review or admin pages (the page says so,
 * and the API refuses their calls anyway); the viewer sees the dashboard and nothing to work on; staff see the
 * progress of their own township only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, signIn, startWebStack } from './support';
import { ifMatch, login, newId, type TestStack } from '../support/stack';

const FORM = 'housing.rural-house';
const DATA = { householder: '张三', floors: 2, floor_area: 120.5, year_built: 1998, structure: 'masonry', strengthened: false, location: { lat: 30.5, lng: 114.3 } };

let stack: TestStack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('access', () => {
  it('keeps staff out of the review and admin pages, and the API refuses them anyway', async () => {
    const staffApi = await login(stack.url, 'staff-housing');
    const id = newId();
    const created = await staffApi.put(`/api/submissions/${id}?submit=true`, { formId: FORM, regionCode: '420999001001', data: DATA });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'staff-housing');
    const nav = page.getByRole('navigation', { name: '主菜单' });
    await nav.getByRole('link', { name: '进度', exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: '审核' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: '管理' }).count()).toBe(0);

    for (const [path, why] of [
      ['/review', '审核页面仅供审核员和管理员使用'],
      [`/review/${id}`, '审核页面仅供审核员和管理员使用'],
      ['/admin', '管理页面仅供普查办管理员使用'],
    ] as const) {
      await page.goto(`${stack.url}${path}`);
      await page.getByRole('alert').getByText('您没有权限访问此页面').waitFor();
      await page.getByText(why, { exact: false }).waitFor();
      expect(await page.getByRole('button', { name: /通过|退回|保存/ }).count(), path).toBe(0);
    }

    // The API says no whatever the page shows.
    expect((await staffApi.get('/api/review-queue')).status).toBe(403);
    expect((await staffApi.post(`/api/submissions/${id}/review`, { decision: 'approve' }, ifMatch(created.body.version))).status).toBe(403);
    expect((await staffApi.put('/api/targets', { targets: [{ formId: FORM, regionCode: '420999001001', target: 1 }] })).status).toBe(403);
    expect((await staffApi.get('/api/members')).status).toBe(403);
    expect((await staffApi.get(`/api/submissions/${id}`)).body.status).toBe('submitted');

    // Staff's dashboard is their township's, without the district-wide trend.
    await page.goto(`${stack.url}/dashboard`);
    await page.getByRole('heading', { name: '青山街道完成率' }).waitFor();
    await page.getByText('完成率变化按全区统计；您的账号只能查看本辖区的进度。').waitFor();
    await page.goto(`${stack.url}/dashboard?region=420999000000`);
    await page.getByText('没有找到此区划，或您没有查看它的权限。').waitFor();
    await ctx.close();
  });

  it('shows the viewer the dashboard, with no tasks, submissions, review or admin in the navigation', async () => {
    const ctx = await browser.newContext();
    const page = await signIn(ctx, stack.url, 'viewer');
    await page.waitForURL(/\/dashboard$/);
    await page.getByRole('heading', { name: '江滨区（演示）完成率' }).waitFor();
    await page.getByRole('img', { name: /折线图/ }).waitFor();
    const nav = page.getByRole('navigation', { name: '主菜单' });
    expect(await nav.getByRole('link').allInnerTexts()).toEqual(['进度', '进度简报']);
    for (const name of ['我的任务', '我的填报', '审核', '管理']) expect(await nav.getByRole('link', { name }).count(), name).toBe(0);

    await page.goto(`${stack.url}/review`);
    await page.getByRole('alert').getByText('您没有权限访问此页面').waitFor();
    const viewerApi = await login(stack.url, 'viewer');
    expect((await viewerApi.get('/api/review-queue')).status).toBe(403);
    expect((await viewerApi.get('/api/members')).status).toBe(403);
    await ctx.close();
  });
});
