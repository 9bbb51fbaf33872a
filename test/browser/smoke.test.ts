/** The app shell in a real browser: login, role-based navigation, language switch that persists. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, signIn, startWebStack } from './support';
import type { TestStack } from '../support/stack';

let stack: TestStack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('app shell', () => {
  it('signs in, shows the navigation of the role, and rejects a wrong password', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${stack.url}/dashboard`);
    await page.waitForURL(/\/login/);
    await page.getByLabel('用户名').fill('staff-housing');
    await page.getByLabel('密码').fill('wrong');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByText('用户名或密码不正确').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();

    const ctx2 = await browser.newContext();
    const staff = await signIn(ctx2, stack.url, 'staff-housing');
    const nav = staff.getByRole('navigation');
    await nav.getByRole('link', { name: '我的任务' }).waitFor();
    expect(await nav.getByRole('link', { name: '审核' }).count()).toBe(0);
    expect(await nav.getByRole('link', { name: '管理' }).count()).toBe(0);
    await ctx2.close();
  });

  it('switches to English and keeps it after a reload', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, stack.url, 'admin');
    await page.getByTestId('lang').selectOption('en');
    await page.getByRole('link', { name: 'Progress' }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: 'Progress' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await context.close();
  });
});
