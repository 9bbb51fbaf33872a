/**
 * Browser-test support: the real local stack serving the built web app, and Debian's Chromium driven by playwright-core.
 * Screenshots go to test-output/ (git-ignored).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { login, startTestStack, type Client, type TestStack } from '../support/stack';
import { DEMO_PASSWORD } from '../../infra/local/demo-district';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHOTS = join(ROOT, 'test-output', 'screenshots');

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Debian's Chromium, headless; `args` are added to CHROMIUM_ARGS, `env` replaces the browser's environment (e.g. HOME). */
export function launchBrowser(opts: { args?: string[]; env?: Record<string, string | undefined> } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    headless: true,
    ...(opts.env ? { env: opts.env } : {}),
  });
}

/** The local stack serving web/build (built by `npm test` before the test files run); `demoGeo`: with the demo outlines, survey lists and assignments. */
export function startWebStack(opts: { demoGeo?: boolean } = {}): Promise<TestStack> {
  return startTestStack({ webRoot: join(ROOT, 'web', 'build'), ...opts });
}

export async function signIn(context: BrowserContext, base: string, username: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel(/用户名|Username/).fill(username);
  await page.getByLabel(/密码|Password/).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: /登录|Sign in/ }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  return page;
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Run axe-core in the page and return serious/critical violations. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; nodes: number; help: string }[]> {
  const axePath = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
  // Evaluated through the DevTools protocol, not added as an inline <script>: the app's CSP refuses inline scripts.
  await page.evaluate(readFileSync(axePath, 'utf8'));
  const result = await page.evaluate(async () => {
    // @ts-expect-error axe is injected above
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v: { id: string; impact: string; nodes: unknown[]; help: string }) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  return result.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
}

/** A file's usual fixture: the web stack, Chromium, one signed-in admin page and the admin's API client. */
export interface AdminSession {
  stack: TestStack;
  browser: Browser;
  ctx: BrowserContext;
  page: Page;
  admin: Client;
  close(): Promise<void>;
}

/** Start the stack and the browser together and sign the admin in (page and API) — signing in is slow on purpose (scrypt). */
export async function startAdminSession(contextOptions: Parameters<Browser['newContext']>[0] = {}): Promise<AdminSession> {
  const [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
  const ctx = await browser.newContext(contextOptions);
  const [admin, page] = await Promise.all([login(stack.url, 'admin'), signIn(ctx, stack.url, 'admin')]);
  return {
    stack,
    browser,
    ctx,
    page,
    admin,
    async close() {
      await ctx.close();
      await browser.close();
      await stack.close();
    },
  };
}
