/**
 * The dashboard's burn-down in a real browser: without a deadline it says so and sends the admin (only the admin) to
 * where the deadline is set; with a deadline set through the API and snapshots of earlier days recorded through the use
 * case, it shows the days left, the remaining count /api/progress gives, and whether the pace so far finishes in time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { axeViolations, screenshot, signIn, startAdminSession, type AdminSession } from './support';
import type { Client, TestStack } from '../support/stack';
import { recordSnapshot } from '../../functions/app/record-snapshot';
import type { ProgressReport } from '../../functions/domain/progress';
import { data as dataMessages } from '../../web/src/lib/messages/data';

const COUNTY = '420999000000';
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long a sentence may take to appear after a navigation (the page loads its figures first). */
const POLL = { timeout: 10_000 };

let session: AdminSession;
let stack: TestStack;
let browser: Browser;
let admin: Client;
let page: Page;
beforeAll(async () => {
  session = await startAdminSession();
  ({ stack, browser, admin, page } = session);
});
afterAll(async () => {
  await session?.close();
});

// Day arithmetic written out here rather than taken from the module under test.
/** Today in China Standard Time, the day snapshots are filed under. */
const todayCST = () => new Date(Date.now() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10);
const plusDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const daysFrom = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
/** 4月20日, with the year when it is not this year's. */
const zhDay = (iso: string, today: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${iso.slice(0, 4) === today.slice(0, 4) ? '' : `${y}年`}${m}月${d}日`;
};
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const enDay = (iso: string, today: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d} ${EN_MONTHS[m! - 1]}${iso.slice(0, 4) === today.slice(0, 4) ? '' : ` ${y}`}`;
};
const digits = (s: string) => Number(s.replace(/\D/g, ''));

const section = () => page.getByRole('region', { name: /剩余任务与截止日期|Remaining records and the deadline/ });

async function openDashboard() {
  await page.goto(`${stack.url}/dashboard`);
  await page.getByRole('heading', { name: '江滨区（演示）完成率' }).waitFor();
  await section().waitFor();
}

async function setDeadline(date: string | null) {
  const r = await admin.put('/api/settings/deadline', { date });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect((await admin.get('/api/settings/deadline')).body.date).toBe(date);
}

/** The rows of the burn-down's table: the row header, then one cell per series. */
async function tableRows(table: Locator): Promise<string[][]> {
  return table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Array.from(r.children).map((c) => (c.textContent ?? '').trim())));
}

describe('burn-down', () => {
  it('without a deadline says so, links the admin to where it is set, and tells others who sets it', async () => {
    await setDeadline(null);
    await openDashboard();
    const s = section();
    const hint = s.getByTestId('burndown-no-deadline');
    await hint.waitFor();
    expect(await hint.textContent()).toContain('尚未设置普查截止日期');
    expect(await s.getByTestId('burndown-days-left').count()).toBe(0);
    // Only today's snapshot so far (this stack is new): no pace yet.
    expect(await s.getByTestId('burndown-verdict').textContent()).toBe('至少需要两天的记录才能推算完成日期。');

    const link = s.getByRole('link', { name: /设置截止日期/ });
    expect(await link.getAttribute('href')).toBe('/data?tab=targets');
    await link.click();
    await page.waitForURL(/\/data\?tab=targets/);
    await page.getByRole('heading', { name: dataMessages.zh['data.deadline.title'] }).waitFor();

    // A viewer reads the same hint without the link.
    const viewerCtx = await browser.newContext();
    try {
      const viewer = await signIn(viewerCtx, stack.url, 'viewer');
      await viewer.goto(`${stack.url}/dashboard`);
      const vs = viewer.getByRole('region', { name: /剩余任务与截止日期/ });
      await vs.getByTestId('burndown-no-deadline').waitFor();
      expect(await vs.getByTestId('burndown-no-deadline').textContent()).toContain('截止日期由普查办管理员设置');
      expect(await vs.getByRole('link', { name: /设置截止日期/ }).count()).toBe(0);
    } finally {
      await viewerCtx.close();
    }
  });

  it('shows the days left, the remaining count of /api/progress and whether the pace so far finishes by the deadline', async () => {
    // Two earlier days, recorded through the use case: 40 and 20 more remaining than now, i.e. 10 records a day.
    const report = (await admin.get(`/api/progress?region=${COUNTY}`)).body as ProgressReport;
    const remaining = report.total.remaining;
    expect(remaining).toBeGreaterThan(0);
    const ports = stack.ports;
    const withRemaining = (n: number): ProgressReport => ({ ...report, total: { ...report.total, remaining: n } });
    const now = Date.now();
    await recordSnapshot(ports, COUNTY, new Date(now - 4 * DAY_MS), withRemaining(remaining + 40));
    await recordSnapshot(ports, COUNTY, new Date(now - 2 * DAY_MS), withRemaining(remaining + 20));
    const history = (await admin.get(`/api/progress/history?region=${COUNTY}`)).body.snapshots as { date: string; total: { remaining: number } }[];
    expect(history.map((h) => h.total.remaining)).toEqual([remaining + 40, remaining + 20, remaining]);

    const today = todayCST();
    expect(history.map((h) => h.date)).toEqual([plusDays(today, -4), plusDays(today, -2), today]);
    const finish = plusDays(today, Math.ceil(remaining / 10));

    // A deadline the day before that finish: late.
    const early = plusDays(finish, -1);
    await setDeadline(early);
    await openDashboard();
    const s = section();
    const verdict = s.getByTestId('burndown-verdict');
    await expect.poll(() => verdict.textContent(), POLL).toBe(`按目前进度，预计${zhDay(finish, today)}完成，晚于截止日期（${zhDay(early, today)}）。`);
    const left = daysFrom(today, early);
    expect(left).toBeGreaterThan(1);
    expect(await s.getByTestId('burndown-days-left').textContent()).toBe(`还有 ${left} 天`);
    const api = (await admin.get(`/api/progress?region=${COUNTY}`)).body as ProgressReport;
    expect(digits((await s.getByTestId('burndown-remaining').textContent())!)).toBe(api.total.remaining);
    expect(await s.getByTestId('burndown-no-deadline').count()).toBe(0);

    // The chart, and its numbers in a table: remaining per snapshot day, the ideal line from the first day's figure
    // to 0 on the deadline, the projection from today to what would still remain on the deadline.
    const chart = s.getByRole('img', { name: /剩余任务数随日期的变化/ });
    expect(await chart.evaluate((el) => el.tagName)).toBe('CANVAS');
    expect((await chart.boundingBox())!.height).toBeGreaterThan(100);
    const table = s.getByRole('table', { name: '江滨区（演示）剩余任务数（按日）' });
    expect(await table.locator('thead th').allTextContents()).toEqual(['日期', '实际剩余', '理想进度（按期完成）', '按目前进度推算']);
    const rows = await tableRows(table);
    expect(rows.map((r) => r[1] === '—' ? null : digits(r[1]!))).toEqual([remaining + 40, remaining + 20, api.total.remaining, null]);
    expect(digits(rows[0]![2]!)).toBe(remaining + 40);
    expect(rows.at(-1)![0]).toContain('（截止日期）');
    expect(rows.at(-1)![2]).toBe('0');
    expect(digits(rows.at(-1)![3]!)).toBe(remaining - 10 * left);
    await screenshot(page, 'dashboard-burndown-late');
    expect(await axeViolations(page)).toEqual([]);

    // Three days after the finish: on track, and the finish is a row of its own.
    const later = plusDays(finish, 3);
    await setDeadline(later);
    await page.reload();
    await expect.poll(() => section().getByTestId('burndown-verdict').textContent(), POLL).toBe(
      `按目前进度，预计${zhDay(finish, today)}完成，能在截止日期（${zhDay(later, today)}）前完成。`,
    );
    expect(await section().getByTestId('burndown-days-left').textContent()).toBe(`还有 ${daysFrom(today, later)} 天`);
    const onTrack = await tableRows(section().getByRole('table', { name: /剩余任务数（按日）/ }));
    expect(onTrack.map((r) => r[0]).filter((h) => h!.includes('（预计完成）'))).toHaveLength(1);
    expect(onTrack.find((r) => r[0]!.includes('（预计完成）'))![3]).toBe('0');

    // The same in English.
    await page.getByTestId('lang').selectOption('en');
    try {
      await expect.poll(() => section().getByTestId('burndown-verdict').textContent(), POLL).toBe(
        `At the current pace the work will be finished on ${enDay(finish, today)}, in time for the deadline (${enDay(later, today)}).`,
      );
      expect(await section().getByTestId('burndown-days-left').textContent()).toBe(`${daysFrom(today, later)} days left`);
      await setDeadline(early);
      await page.reload();
      await expect.poll(() => section().getByTestId('burndown-verdict').textContent(), POLL).toBe(
        `At the current pace the work will be finished on ${enDay(finish, today)}, later than the deadline (${enDay(early, today)}).`,
      );
    } finally {
      await page.getByTestId('lang').selectOption('zh');
    }
  });

  it('fits a 390 px phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await openDashboard();
      await section().getByRole('img', { name: /剩余任务数随日期的变化/ }).waitFor();
      await section().getByTestId('burndown-verdict').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await section().scrollIntoViewIfNeeded();
      await screenshot(page, 'dashboard-burndown-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });
});
