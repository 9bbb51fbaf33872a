/**
 * The office server in a real browser: Chromium reaches the app under a LAN name, https://census.test:<port> (mapped
 * to 127.0.0.1 by --host-resolver-rules, so the origin is not localhost and counts as secure only because of TLS),
 * with a self-signed certificate made here by openssl. The certificate is trusted the honest way, through
 * `--ignore-certificate-errors-spki-list=<its SPKI hash>` (Chromium then treats it as a valid certificate: the origin
 * is a secure context and service workers register); a second browser trusts it through an NSS database in a temporary
 * HOME instead (what an office does with its internal CA; needs certutil, Debian's libnss3-tools), and a third shows
 * why --ignore-certificate-errors-style trust is not enough (the page loads, the service worker is refused).
 *
 * Checked: sign-in, the service worker, an offline reload still showing the app, GPS through the form's "use my
 * location" button (geolocation granted to the origin), http://census.test:<httpPort> redirected to HTTPS (also once
 * the browser knows HSTS for the name and upgrades the http port itself), plain http on the LAN name being no secure
 * context (no service worker, no GPS), no CSP violation anywhere in the app, and the app refusing to be framed by
 * another origin.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT, launchBrowser, screenshot, signIn } from './support';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { freePort } from '../../infra/local/ports';

const NAME = 'census.test';
const RESOLVE = `--host-resolver-rules=MAP ${NAME} 127.0.0.1`;
const VILLAGE = '420999001001';
const HOUSE = 'housing.rural-house';
const POSITION = { latitude: 30.592849, longitude: 114.305539, accuracy: 12 };

let dir: string;
let stack: LocalStack;
let browser: Browser;
let base: string;
let httpBase: string;
/** Another origin (plain http on another port): a page that frames the app, and a plain-http page on the LAN name. */
let other: Server;
let otherPort: number;
let spki: string;

interface Violation {
  page: string;
  what: string;
}

/** Every securitypolicyviolation event and every console message about CSP in the context's pages. */
async function watchCsp(context: BrowserContext): Promise<Violation[]> {
  const seen: Violation[] = [];
  await context.exposeBinding('__reportCspViolation', ({ page }, v: string) => void seen.push({ page: page.url(), what: `event: ${v}` }));
  await context.addInitScript(() => {
    addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCspViolation: (v: string) => void }).__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
    });
  });
  context.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) seen.push({ page: m.page()?.url() ?? '(worker)', what: `console ${m.type()}: ${m.text()}` });
  });
  return seen;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'risk-census-office-tls-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME},IP:127.0.0.1`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdio: 'pipe' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'));
  const key = readFileSync(join(dir, 'key.pem'));
  // The base64 SHA-256 of the certificate's SubjectPublicKeyInfo (what `openssl x509 -pubkey | openssl pkey -pubin
  // -outform der | openssl dgst -sha256 -binary | base64` prints).
  spki = createHash('sha256').update(new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');

  process.env.LOG_LEVEL = 'silent';
  otherPort = await freePort();
  [stack, browser] = await Promise.all([
    startLocalStack({ dataDir: join(dir, 'data'), store: 'embedded', host: '127.0.0.1', webRoot: join(ROOT, 'web', 'build'), tls: { cert, key }, httpRedirectPort: 0 }),
    launchBrowser({ args: [RESOLVE, `--ignore-certificate-errors-spki-list=${spki}`] }),
  ]);
  base = `https://${NAME}:${stack.port}`;
  httpBase = `http://${NAME}:${stack.redirectPort}`;
  other = createServer((req, res) => {
    const page =
      req.url === '/frame'
        ? `<!doctype html><title>framing</title><h1>Another site</h1><iframe name="census" src="${base}/login" width="600" height="400"></iframe>`
        : '<!doctype html><title>plain</title><p>plain http</p>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise<void>((r) => other.listen(otherPort, '127.0.0.1', () => r()));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (other ? other.close(() => r()) : r()));
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the app over TLS under a LAN name', () => {
  it('plain http on the LAN name is redirected to https (308)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${httpBase}/login?from=lan`);
    expect(page.url()).toBe(`${base}/login?from=lan`);
    expect(res!.status()).toBe(200);
    const hop = res!.request().redirectedFrom();
    expect(hop?.url()).toBe(`${httpBase}/login?from=lan`);
    expect((await hop!.response())!.status()).toBe(308);
    await page.getByLabel(/用户名|Username/).waitFor();
    await context.close();
  });

  it('signs in, registers the service worker, reads GPS, reloads offline into the app, with no CSP violation', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const violations = await watchCsp(context);
    await context.grantPermissions(['geolocation'], { origin: base });
    await context.setGeolocation(POSITION);

    const page = await signIn(context, base, 'admin');
    expect(new URL(page.url()).origin).toBe(base);
    expect(await page.evaluate(() => isSecureContext)).toBe(true);
    // The service worker is installed and controls the page (it claims clients on activation).
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL)).toBe(`${base}/service-worker.js`);
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null), { timeout: 20_000 }).toBe('activated');
    expect(await page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith('shell-')))).toBe(true);

    // GPS through the form: the geopoint field's "use my location".
    await page.goto(`${base}/fill/${HOUSE}?region=${VILLAGE}`);
    await page.getByLabel('户主姓名').waitFor();
    const geo = async () => {
      await page.getByRole('button', { name: '使用我的位置' }).first().click();
      await expect.poll(() => page.getByLabel('纬度').inputValue()).toBe(String(POSITION.latitude));
      expect(await page.getByLabel('经度').inputValue()).toBe(String(POSITION.longitude));
      await page.getByText('定位精度约 12 米').first().waitFor();
    };
    await geo();
    // And from the page itself, the position as the browser reports it.
    const pos = await page.evaluate(
      () => new Promise<[number, number]>((res, rej) => navigator.geolocation.getCurrentPosition((p) => res([p.coords.latitude, p.coords.longitude]), (e) => rej(new Error(e.message)))),
    );
    expect(pos).toEqual([POSITION.latitude, POSITION.longitude]);

    // Offline: a reload is answered by the service worker; the app and the form come back, GPS still works.
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('navigation').waitFor();
    await page.getByLabel('户主姓名').waitFor();
    expect(await page.title()).toMatch(/风险普查/);
    await geo();
    await page.goto(`${base}/dashboard`).catch(() => undefined);
    await page.getByRole('navigation').waitFor();
    await screenshot(page, 'office-tls-offline');
    await context.setOffline(false);

    // Around the app online: the pages staff and admins use, none of them may trip the CSP.
    for (const path of ['/tasks', '/review', '/dashboard', '/briefing', '/data', '/admin', '/submissions']) {
      await page.goto(`${base}${path}`);
      await page.getByRole('navigation').waitFor();
      await page.waitForLoadState('networkidle');
    }
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);

    // The watcher does see a violation when there is one: an inline script added to the page is refused.
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.head.append(s);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => violations.some((v) => /^event: script-src/.test(v.what))).toBe(true);

    // Having seen HSTS over https, the browser upgrades http://census.test:<httpPort> itself (to https on that port):
    // the redirect port answers TLS with the same 308, so the old address still ends at the app.
    const upgraded = await page.goto(`${httpBase}/tasks`);
    expect(page.url()).toBe(`${base}/tasks`);
    const chain: string[] = [];
    for (let r = upgraded!.request().redirectedFrom(); r; r = r.redirectedFrom()) chain.unshift(`${r.url()} ${(await r.response())?.status()}`);
    expect(chain).toEqual([`${httpBase}/tasks 307`, `https://${NAME}:${stack.redirectPort}/tasks 308`]);
    await context.close();
  });

  it('plain http under the LAN name is no secure context: no service worker, no GPS', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['geolocation']);
    await context.setGeolocation(POSITION);
    const page = await context.newPage();
    await page.goto(`http://${NAME}:${otherPort}/plain`);
    expect(await page.evaluate(() => isSecureContext)).toBe(false);
    expect(await page.evaluate(() => 'serviceWorker' in navigator)).toBe(false);
    expect(await page.evaluate(() => 'storage' in navigator)).toBe(false);
    const gps = await page.evaluate(
      () => new Promise<string>((res) => navigator.geolocation.getCurrentPosition(() => res('position'), (e) => res(`error ${e.code}: ${e.message}`))),
    );
    expect(gps).toMatch(/^error 1: .*secure origins/i);
    await context.close();
  });

  it('another origin cannot frame the app (frame-ancestors none, X-Frame-Options DENY)', async () => {
    const context = await browser.newContext();
    const messages: string[] = [];
    context.on('console', (m) => messages.push(m.text()));
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${otherPort}/frame`);
    await page.getByRole('heading', { name: 'Another site' }).waitFor();
    await expect.poll(() => messages.some((t) => t.includes("frame-ancestors 'none'")), { timeout: 10_000 }).toBe(true);
    const frame = page.frame({ name: 'census' });
    expect(frame).not.toBeNull();
    // The frame holds Chromium's error page, not the app (no login form, no SvelteKit shell).
    expect(frame!.url()).not.toBe(`${base}/login`);
    const html = await frame!.content().catch(() => '');
    expect(html).not.toContain('__sveltekit_');
    expect(await frame!.getByLabel(/用户名|Username/).count()).toBe(0);
    expect(messages.find((t) => t.includes('frame-ancestors'))).toMatch(/^Framing 'https:\/\/census\.test:\d+\/' violates the following Content Security Policy directive: "frame-ancestors 'none'"\. The request has been blocked\./);
    await context.close();
  });
});

describe('other ways to trust the certificate', () => {
  it('an NSS database in HOME trusting the certificate (as an office installs its CA) works as well, service worker included', async () => {
    const home = join(dir, 'home');
    const db = join(home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'census-test', '-t', 'CT,,', '-i', join(dir, 'cert.pem')], { stdio: 'pipe' });
    const nss = await launchBrowser({ args: [RESOLVE], env: { ...process.env, HOME: home } });
    try {
      const page = await (await nss.newContext()).newPage();
      await page.goto(`${base}/login`);
      expect(await page.evaluate(() => isSecureContext)).toBe(true);
      expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state)).toMatch(/activat/);
    } finally {
      await nss.close();
    }
  });

  it('ignoring certificate errors is not trust: the page loads, the service worker is refused', async () => {
    const untrusting = await launchBrowser({ args: [RESOLVE] });
    try {
      await expect((await untrusting.newPage()).goto(`${base}/login`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
      const page = await (await untrusting.newContext({ ignoreHTTPSErrors: true })).newPage();
      await page.goto(`${base}/login`);
      const registered = await page.evaluate(() =>
        navigator.serviceWorker.register('/service-worker.js').then(
          () => 'registered',
          (e: Error) => e.message,
        ),
      );
      expect(registered).toMatch(/SSL certificate error/);
    } finally {
      await untrusting.close();
    }
  });
});
