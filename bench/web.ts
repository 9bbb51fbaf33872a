/**
 * Item 7, the web app:
 *  - entry JS: every script web/build/index.html loads before the app starts (module preloads, the inline script's
 *    imports) and their static imports, each gzipped (zlib default level), summed;
 *  - time to interactive of the largest census form (most fields) in headless Chromium vs a static HTML page with the same
 *    labelled inputs, same origin, interleaved. "Interactive" = the form's last field is rendered and the main thread has
 *    gone idle (the first requestIdleCallback after it), in ms since navigation start, read in the page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CATALOG_FORMS } from '../functions/domain/catalog/index';
import { allFields, type FormDefinition } from '../functions/domain/forms';
import { median } from './lib';

export const WEB_BUILD = resolve(import.meta.dirname, '..', 'web', 'build');

export interface EntryJs {
  files: number;
  rawKb: number;
  gzipKb: number;
}

export function entryJs(buildDir = WEB_BUILD): EntryJs | undefined {
  const index = join(buildDir, 'index.html');
  if (!existsSync(index)) return undefined;
  const html = readFileSync(index, 'utf8');
  const initial = new Set<string>();
  for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]*>/g)) {
    const href = /href="([^"]+)"/.exec(m[0])?.[1];
    if (href) initial.add(href);
  }
  for (const m of html.matchAll(/<script[^>]+src="([^"]+)"/g)) initial.add(m[1]!);
  for (const m of html.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) initial.add(m[1]!);
  const toPath = (url: string, from?: string) => (url.startsWith('/') ? join(buildDir, url) : resolve(from ? dirname(from) : buildDir, url));
  const seen = new Set<string>();
  const queue = [...initial].filter((u) => u.endsWith('.js')).map((u) => toPath(u));
  let raw = 0;
  let gz = 0;
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const text = readFileSync(file);
    raw += text.length;
    gz += gzipSync(text).length;
    // Static imports only (`import … from "x"`, `import "x"`, `export … from "x"`); dynamic import() loads later.
    for (const m of text.toString('utf8').matchAll(/(?:\bimport|\bexport)\s*(?:[\w${},*\s]+?\bfrom\s*)?["']([^"']+\.js)["']/g)) {
      queue.push(toPath(m[1]!, file));
    }
  }
  return { files: seen.size, rawKb: raw / 1024, gzipKb: gz / 1024 };
}

/** The catalog form with the most fields (repeat sub-fields included). */
export function largestForm(): FormDefinition {
  return [...CATALOG_FORMS].sort((a, b) => allFields(b).length - allFields(a).length)[0]!;
}

export function hasFillRoute(): boolean {
  return existsSync(resolve(import.meta.dirname, '..', 'web', 'src', 'routes', 'fill'));
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface Tti {
  form: string;
  fields: number;
  formMs: number;
  staticMs: number;
  ratio: number;
  rounds: number;
}

const idleAt = (page: Page) => page.evaluate(() => new Promise<number>((r) => requestIdleCallback(() => r(performance.now()), { timeout: 10_000 })));

export async function timeToInteractive(opts: { base: string; username: string; password: string; village: string; rounds?: number }): Promise<Tti> {
  const def = largestForm();
  const fields = allFields(def).length;
  const top = def.fields.filter((f) => f.type !== 'calculate');
  const lastLabel = top[top.length - 1]!.label.zh;
  const staticHtml = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${def.title.zh}</title></head><body><main><h1>${def.title.zh}</h1><form>${allFields(def)
    .map(({ field }) => `<p><label for="s-${field.name}">${field.label.zh}</label><br><input id="s-${field.name}" name="${field.name}"></p>`)
    .join('')}<button>提交</button></form></main></body></html>`;
  const browser: Browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  try {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    await context.route('**/__bench/static.html', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: staticHtml }));
    const login = await context.newPage();
    await login.goto(`${opts.base}/login`);
    await login.getByLabel(/用户名|Username/).fill(opts.username);
    await login.getByLabel(/密码|Password/).fill(opts.password);
    await login.getByRole('button', { name: /登录|Sign in/ }).click();
    await login.waitForURL((u) => !u.pathname.startsWith('/login'));
    await login.close();

    const form = async () => {
      const page = await context.newPage();
      const url = `${opts.base}/fill/${def.id}?region=${opts.village}&id=${crypto.randomUUID()}`;
      await page.goto(url, { waitUntil: 'commit' });
      await page.getByText(lastLabel).first().waitFor({ state: 'visible', timeout: 30_000 });
      const t = await idleAt(page);
      await page.close();
      return t;
    };
    const plain = async () => {
      const page = await context.newPage();
      await page.goto(`${opts.base}/__bench/static.html`, { waitUntil: 'commit' });
      await page.getByText(lastLabel).first().waitFor({ state: 'visible', timeout: 30_000 });
      const t = await idleAt(page);
      await page.close();
      return t;
    };
    await form(); // warm: HTTP cache of the immutable assets, server caches
    await plain();
    const rounds = opts.rounds ?? 7;
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2) {
        a.push(await form());
        b.push(await plain());
      } else {
        b.push(await plain());
        a.push(await form());
      }
    }
    return { form: def.id, fields, formMs: median(a), staticMs: median(b), ratio: median(a) / median(b), rounds };
  } finally {
    await browser.close();
  }
}
