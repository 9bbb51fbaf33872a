/**
 * One definition of the web app's security headers (infra/web-headers.ts) for both ways the app is served: the
 * CloudFront response headers policy of a synthesized Web construct and the local server's real responses carry the
 * same values, and their CSPs differ only where they must (connect-src and img-src name the AWS origins on AWS; the
 * local one adds upgrade-insecure-requests only with TLS). The build's precompressed copies (.br/.gz, for the local
 * server) stay out of the site bucket.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, WEB_BUILD_DIR } from '../../infra/aws/paths';
import { Web, missingWebBuildMessage } from '../../infra/aws/web';
import { CROSS_ORIGIN_OPENER_POLICY, HSTS_MAX_AGE_S, PERMISSIONS_POLICY, REFERRER_POLICY } from '../../infra/web-headers';
import { startServer } from '../../infra/local/server';
import { localKeys } from '../../functions/adapters/identity/local';
import { freePort } from '../../infra/local/ports';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

let dir: string;
let buildDir: string;
let outdir: string;
let web: Web;
let stack: Stack;
let policy: Json;
let server: Server;
let local: Headers;

const directives = (csp: string) => new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d] as const));
/** A CloudFormation value with Fn::Join of strings and refs, flattened to text. */
const flat = (v: Json): string => (typeof v === 'string' ? v : v?.['Fn::Join'] ? (v['Fn::Join'][1] as Json[]).map(flat).join(v['Fn::Join'][0]) : v?.Ref ? v.Ref : JSON.stringify(v));

beforeAll(async () => {
  if (!existsSync(join(WEB_BUILD_DIR, 'index.html'))) throw new Error(missingWebBuildMessage());
  dir = mkdtempSync(join(tmpdir(), 'risk-census-web-headers-'));
  // A copy of the build (others may rebuild web/build meanwhile), precompressed as `npm run build:web` does.
  buildDir = join(dir, 'build');
  cpSync(WEB_BUILD_DIR, buildDir, { recursive: true, filter: (src) => !/\.(br|gz)$/.test(src) });
  execFileSync(process.execPath, ['--import', 'tsx', 'infra/local/precompress.ts', buildDir], { cwd: REPO_ROOT, stdio: 'pipe' });

  outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  stack = new Stack(app, 'WebOnly', { env: { region: 'cn-north-1', account: '123456789012' } });
  web = new Web(stack, 'Web', { logBucket: new Bucket(stack, 'Logs'), cognitoDomainUrl: 'https://census.auth.cn-north-1.amazoncognito.com', buildDir });
  web.deploy({ apiBase: 'https://api.example', authMode: 'cognito' });
  app.synth();
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
  policy = resources[stack.getLogicalId(web.headers.node.defaultChild as never)].Properties.ResponseHeadersPolicyConfig;

  const port = await freePort();
  server = (await startServer({ port, keys: await localKeys(join(dir, 'keys.json')), webRoot: buildDir, webConfig: {} })) as Server;
  local = (await fetch(`http://127.0.0.1:${port}/`)).headers;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => (server ? (server.closeAllConnections(), server.close(() => r())) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('web security headers: CloudFront and the local server', () => {
  it('carry the same values', () => {
    const sec = policy.SecurityHeadersConfig;
    const custom = Object.fromEntries((policy.CustomHeadersConfig.Items as Json[]).map((h) => [String(h.Header).toLowerCase(), h.Value]));
    expect(sec.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: HSTS_MAX_AGE_S, IncludeSubdomains: true, Override: true });
    expect(sec.ReferrerPolicy.ReferrerPolicy).toBe(REFERRER_POLICY);
    expect(sec.FrameOptions.FrameOption).toBe('DENY');
    expect(sec.ContentTypeOptions.Override).toBe(true);
    expect(sec.XSSProtection).toMatchObject({ Protection: false });
    expect(custom['permissions-policy']).toBe(PERMISSIONS_POLICY);
    expect(custom['cross-origin-opener-policy']).toBe(CROSS_ORIGIN_OPENER_POLICY);

    expect(local.get('referrer-policy')).toBe(sec.ReferrerPolicy.ReferrerPolicy);
    expect(local.get('x-frame-options')).toBe(sec.FrameOptions.FrameOption);
    expect(local.get('x-content-type-options')).toBe('nosniff');
    expect(local.get('x-xss-protection')).toBe('0');
    expect(local.get('permissions-policy')).toBe(custom['permissions-policy']);
    expect(local.get('cross-origin-opener-policy')).toBe(custom['cross-origin-opener-policy']);
    // Plain http here: no HSTS (the office-server test checks it is sent with TLS, with CloudFront's max-age).
    expect(local.get('strict-transport-security')).toBeNull();
  });

  it('have CSPs that differ only in the origins the app talks to (and upgrade-insecure-requests, HTTPS only)', () => {
    const aws = directives(flat(policy.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy));
    const here = directives(local.get('content-security-policy')!);
    // (The region is the stack's AWS::Region token.)
    expect(aws.get('connect-src')).toBe(
      "connect-src 'self' https://*.execute-api.AWS::Region.amazonaws.com https://census.auth.cn-north-1.amazoncognito.com https://cognito-idp.AWS::Region.amazonaws.com https://*.s3.AWS::Region.amazonaws.com",
    );
    expect(here.get('connect-src')).toBe("connect-src 'self'");
    expect(aws.get('img-src')).toBe("img-src 'self' data: blob: https://*.s3.AWS::Region.amazonaws.com");
    expect(here.get('img-src')).toBe("img-src 'self' data: blob:");
    expect(aws.has('upgrade-insecure-requests')).toBe(true);
    expect(here.has('upgrade-insecure-requests')).toBe(false);
    for (const name of new Set([...aws.keys(), ...here.keys()])) {
      if (['connect-src', 'img-src', 'upgrade-insecure-requests'].includes(name)) continue;
      expect(here.get(name), name).toBe(aws.get(name));
    }
    expect(here.get('script-src')).toMatch(/^script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
  });

  it("keep the build's .br/.gz copies out of the site bucket", () => {
    const staged = readdirSync(outdir).filter((n) => n.startsWith('asset.') && (existsSync(join(outdir, n, 'index.html')) || existsSync(join(outdir, n, 'entry'))));
    // The shell and the hashed assets.
    expect(staged.length).toBe(2);
    expect((readdirSync(buildDir, { recursive: true }) as string[]).some((p) => p.endsWith('.br'))).toBe(true);
    for (const a of staged) {
      const files = readdirSync(join(outdir, a), { recursive: true }) as string[];
      expect(files.length, a).toBeGreaterThan(0);
      expect(files.filter((p) => /\.(br|gz)$/.test(p)), a).toEqual([]);
    }
  });
});
