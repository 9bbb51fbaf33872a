/**
 * The AWS sign-in path of the web app, against a stand-in for Cognito's managed login (intercepted in the browser):
 * authorization-code flow with PKCE (S256 challenge verified against the verifier), state checked, the access token used
 * as the API bearer, refresh with the refresh token, and sign-out through Cognito's logout endpoint.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, startWebStack } from './support';
import { Client, type TestStack } from '../support/stack';
import { DEMO_PASSWORD } from '../../infra/local/demo-district';
import { contentSecurityPolicy, inlineScriptHashes } from '../../infra/aws/web';

const COGNITO = 'https://census-test.auth.cn-north-1.example';
let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startWebStack(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const b64url = (b: Buffer) => b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('Cognito managed login (PKCE)', () => {
  it('signs in with code + PKCE, calls the API with the access token, refreshes it, and signs out at Cognito', async () => {
    // A real token of the local issuer stands in for Cognito's access token (the API only needs a valid bearer).
    const login = await new Client(stack.url).post('/api/auth/login', { username: 'reviewer-forestry', password: DEMO_PASSWORD });
    const accessToken = login.body.token as string;

    // Cognito mode runs on AWS, under the CSP CloudFront sends (it names the Cognito domain): the pages get that one
    // instead of the local server's, which allows 'self' only (local mode never talks to Cognito). No service worker,
    // so every page load comes through the route below.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    const awsCsp = contentSecurityPolicy({ cognitoDomainUrl: COGNITO, scriptHashes: inlineScriptHashes(), region: 'cn-north-1' });
    await page.route(`${stack.url}/**`, async (r) => {
      if (r.request().resourceType() !== 'document') return r.fallback();
      const res = await r.fetch();
      return r.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': awsCsp } });
    });
    let challenge = '';
    let verified = false;
    let refreshed = 0;
    let loggedOut = '';
    await page.route('**/config.json', (r) =>
      r.fulfill({ json: { apiBase: '', authMode: 'cognito', region: 'cn-north-1', userPoolId: 'pool', clientId: 'spa-client', cognitoDomain: COGNITO } }),
    );
    await page.route(`${COGNITO}/oauth2/authorize**`, (r) => {
      const u = new URL(r.request().url());
      expect(u.searchParams.get('client_id')).toBe('spa-client');
      expect(u.searchParams.get('response_type')).toBe('code');
      expect(u.searchParams.get('code_challenge_method')).toBe('S256');
      challenge = u.searchParams.get('code_challenge') ?? '';
      const back = new URL(u.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', 'auth-code-1');
      back.searchParams.set('state', u.searchParams.get('state')!);
      // Cognito answers 302; Playwright does not route the request a redirect leads to, so the stand-in sends the
      // browser back with a refresh instead, and the callback page gets the AWS CSP through the route above.
      const html = `<!doctype html><meta http-equiv="refresh" content="0;url=${back.toString().replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">`;
      return r.fulfill({ status: 200, contentType: 'text/html', body: html });
    });
    await page.route(`${COGNITO}/oauth2/token`, (r) => {
      const form = new URLSearchParams(r.request().postData() ?? '');
      if (form.get('grant_type') === 'authorization_code') {
        verified = form.get('code') === 'auth-code-1' && b64url(createHash('sha256').update(form.get('code_verifier') ?? '').digest()) === challenge;
        if (!verified) return r.fulfill({ status: 400, json: { error: 'invalid_grant' } });
        // A short lifetime makes the app refresh about five seconds later.
        return r.fulfill({ json: { access_token: accessToken, id_token: 'id', refresh_token: 'refresh-1', expires_in: 65, token_type: 'Bearer' } });
      }
      expect(form.get('grant_type')).toBe('refresh_token');
      expect(form.get('refresh_token')).toBe('refresh-1');
      refreshed++;
      return r.fulfill({ json: { access_token: accessToken, expires_in: 3600, token_type: 'Bearer' } });
    });
    await page.route(`${COGNITO}/logout**`, (r) => {
      loggedOut = r.request().url();
      return r.fulfill({ status: 302, headers: { location: `${stack.url}/login` } });
    });

    await page.goto(`${stack.url}/dashboard`);
    await page.waitForURL(/\/login/);
    await page.getByRole('button', { name: '使用单位账号登录' }).click();
    await page.waitForURL(/\/dashboard/);
    expect(verified).toBe(true);
    // Signed in as the user the token names (the API resolved the Members row).
    await page.getByText('林草审核员').waitFor();
    await expect.poll(() => refreshed, { timeout: 15_000 }).toBeGreaterThan(0);

    await page.getByRole('button', { name: '退出' }).click();
    await page.waitForURL(/\/login/);
    expect(loggedOut).toContain(`${COGNITO}/logout?client_id=spa-client`);
    expect(await page.evaluate(() => localStorage.getItem('risk-census.session'))).toBeNull();
    await context.close();
  });

  it('refuses a callback whose state does not match', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route('**/config.json', (r) => r.fulfill({ json: { apiBase: '', authMode: 'cognito', clientId: 'spa-client', cognitoDomain: COGNITO } }));
    await page.goto(`${stack.url}/auth/callback?code=stolen&state=forged`);
    await page.getByRole('alert').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('risk-census.session'))).toBeNull();
    await context.close();
  });
});
