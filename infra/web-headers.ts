/**
 * The web app's security headers, defined once for both ways it is served: CloudFront's response headers policy
 * (infra/aws/web.ts) and the local server (infra/local/server.ts, `npm start`), so the two cannot drift. Plain
 * node:fs/node:crypto only: the local server loads this without aws-cdk-lib.
 *
 * - A Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval' for scripts: the SvelteKit shell's inline
 *   bootstrap script is allowed by its SHA-256 hash, read from the build (`inlineScriptHashes`).
 * - Framing refused twice over (`frame-ancestors 'none'` and `X-Frame-Options: DENY`), `nosniff`, a referrer policy,
 *   a Permissions-Policy that lets only the app itself use the camera and geolocation, COOP, the legacy XSS filter off.
 * - `Strict-Transport-Security` only where the app is served over HTTPS (browsers ignore it over http; a local server
 *   without TLS must not claim it).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** HSTS lifetime: two years (what CloudFront sends; the preload list asks for at least one). */
export const HSTS_MAX_AGE_S = 730 * 86_400;
export const HSTS_VALUE = `max-age=${HSTS_MAX_AGE_S}; includeSubDomains`;
export const REFERRER_POLICY = 'strict-origin-when-cross-origin';
/** Camera (photos) and geolocation (GPS capture) for the app's own origin only; nothing else. */
export const PERMISSIONS_POLICY = 'camera=(self), geolocation=(self), microphone=(), payment=(), usb=()';
export const CROSS_ORIGIN_OPENER_POLICY = 'same-origin';
export const FRAME_OPTIONS = 'DENY';

/** SHA-256 CSP sources of every inline <script> in the built HTML files under `dir` (none when there is no build). */
export function inlineScriptHashes(dir: string): string[] {
  const hashes = new Set<string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.html')) {
        const html = readFileSync(p, 'utf8');
        for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
          if (/\bsrc\s*=/i.test(m[1] ?? '') || !(m[2] ?? '').trim()) continue;
          hashes.add(`'sha256-${createHash('sha256').update(m[2]!, 'utf8').digest('base64')}'`);
        }
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return [...hashes].sort();
}

export interface CspOptions {
  /** `'sha256-…'` sources of the shell's inline scripts. */
  scriptHashes: string[];
  /** Origins the app fetches from besides its own (AWS: the API, Cognito, S3 uploads); none locally. */
  connectSrc?: string[];
  /** Origins images come from besides its own, data: and blob: (AWS: S3 download links). */
  imgSrc?: string[];
  /** Add `upgrade-insecure-requests`: only for a site served over HTTPS (on a plain-http page it would turn the app's
   * own http requests into https ones that nothing answers). */
  upgradeInsecureRequests: boolean;
}

export function contentSecurityPolicy(o: CspOptions): string {
  const list = (head: string, extra: string[] = []) => [head, ...extra].join(' ').trim();
  return [
    "default-src 'self'",
    list("script-src 'self'", o.scriptHashes),
    // Svelte sets style attributes (e.g. the shell's <div style="display: contents">); styles cannot run script.
    "style-src 'self' 'unsafe-inline'",
    list("img-src 'self' data: blob:", o.imgSrc),
    "font-src 'self' data:",
    list("connect-src 'self'", o.connectSrc),
    "worker-src 'self'",
    "manifest-src 'self'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(o.upgradeInsecureRequests ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}

/** The headers as sent on every response (lower-case names), given the CSP and whether the site is on HTTPS. */
export function securityHeaders(o: { csp: string; https: boolean }): Record<string, string> {
  return {
    'content-security-policy': o.csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': FRAME_OPTIONS,
    'referrer-policy': REFERRER_POLICY,
    'x-xss-protection': '0',
    'permissions-policy': PERMISSIONS_POLICY,
    'cross-origin-opener-policy': CROSS_ORIGIN_OPENER_POLICY,
    ...(o.https ? { 'strict-transport-security': HSTS_VALUE } : {}),
  };
}
