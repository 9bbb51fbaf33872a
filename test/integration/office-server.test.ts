/**
 * The office server: `npm start` on a bureau's LAN. A real stack (startLocalStack, embedded store, temporary DATA_DIR)
 * over HTTPS with a self-signed certificate made here by openssl, serving a copy of the built web app precompressed by
 * the build's own script (infra/local/precompress.ts), plus its plain-http redirect port. Checked over real sockets:
 * TLS (the certificate verifies for census.test and 127.0.0.1), the 308 redirects, the security headers on every kind
 * of response (HSTS only with TLS), the CSP hash against the shell's inline script (computed here independently), brotli
 * and gzip copies that decode to the file's bytes, and on-the-fly compression of JSON over 1 KB. Then `npm start`
 * itself as a child process: a bad certificate is one sentence and exit 1, TLS prints the https URL, and a LAN-wide HOST
 * without TLS prints the warning.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack';
import { startServer } from '../../infra/local/server';
import { localKeys } from '../../functions/adapters/identity/local';
import { freePort } from '../../infra/local/ports';
import { DEMO_PASSWORD } from '../../infra/local/demo-district';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILD = join(ROOT, 'web', 'build');
/** A full `npm start` on a fresh DATA_DIR (demo records included), to ready and stopped again. */
const START_MS = 120_000;

let dir: string;
let webRoot: string;
let cert: Buffer;
let key: Buffer;
let stack: LocalStack;
/** The same server code without TLS, on the same web root (one stack per process: the route table's ports are global). */
let plain: Server;
let plainBase: string;
let token: string;

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request over a real socket, nothing decoded; https verifies against the test certificate (as `servername`). */
function raw(url: string, o: { method?: string; headers?: Record<string, string>; body?: string; servername?: string; ca?: Buffer | null } = {}): Promise<Raw> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((res, rej) => {
    const req = request(
      u,
      {
        method: o.method ?? 'GET',
        headers: { ...(o.headers ?? {}), ...(o.body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(o.body)) } : {}) },
        ...(u.protocol === 'https:' ? { ...(o.ca === null ? {} : { ca: o.ca ?? cert }), ...(o.servername ? { servername: o.servername } : {}) } : {}),
        agent: false,
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
        r.on('error', rej);
      },
    );
    req.on('error', rej);
    req.end(o.body);
  });
}

const json = (r: Raw) => JSON.parse(r.body.toString('utf8'));

function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
}

const directive = (csp: string | string[] | undefined, name: string) =>
  String(csp ?? '')
    .split(';')
    .map((s) => s.trim())
    .find((s) => s === name || s.startsWith(`${name} `));

beforeAll(async () => {
  expect(existsSync(join(BUILD, 'index.html')), 'web/build is missing: npm run build:web').toBe(true);
  process.env.LOG_LEVEL = 'silent';
  dir = mkdtempSync(join(tmpdir(), 'risk-census-office-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=census.test', '-addext', 'subjectAltName=DNS:census.test,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { stdio: 'pipe' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  key = readFileSync(join(dir, 'key.pem'));
  // A copy of the build (others may rebuild web/build meanwhile), precompressed by the script `npm run build:web` runs.
  webRoot = join(dir, 'web');
  cpSync(BUILD, webRoot, { recursive: true, filter: (src) => !/\.(br|gz)$/.test(src) });
  execFileSync(process.execPath, ['--import', 'tsx', 'infra/local/precompress.ts', webRoot], { cwd: ROOT, stdio: 'pipe' });

  stack = await startLocalStack({ dataDir: join(dir, 'data'), store: 'embedded', host: '127.0.0.1', webRoot, tls: { cert, key }, httpRedirectPort: 0 });
  const port = await freePort();
  plain = (await startServer({ port, keys: await localKeys(join(dir, 'plain-keys.json')), webRoot, webConfig: { apiBase: '', authMode: 'local' } })) as Server;
  plainBase = `http://127.0.0.1:${port}`;
  const login = await raw(`${stack.url}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
  expect(login.status, login.body.toString()).toBe(200);
  token = json(login).token;
});

afterAll(async () => {
  await new Promise<void>((r) => (plain ? (plain.closeAllConnections(), plain.close(() => r())) : r()));
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  it('serves the API and the app over TLS, with a certificate that verifies for census.test and 127.0.0.1', async () => {
    expect(stack.url).toBe(`https://127.0.0.1:${stack.port}`);
    const health = await raw(`${stack.url}/api/health`);
    expect(health.status).toBe(200);
    expect(json(health)).toMatchObject({ ok: true });
    const me = await raw(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(json(me)).toMatchObject({ username: 'admin' });

    const byName = await raw(`${stack.url}/`, { servername: 'census.test', headers: { host: `census.test:${stack.port}` } });
    expect(byName.status).toBe(200);
    expect(byName.headers['content-type']).toContain('text/html');
    expect(byName.body.toString()).toContain('<div style="display: contents">');
    // A client route gets the shell too; config.json is local mode.
    expect((await raw(`${stack.url}/review`)).body.toString()).toContain('__sveltekit_');
    expect(json(await raw(`${stack.url}/config.json`))).toEqual({ apiBase: '', authMode: 'local' });

    // Real TLS: without the certificate as a trust anchor the handshake is refused, and a name it does not carry fails.
    await expect(raw(`${stack.url}/api/health`, { ca: null })).rejects.toThrow(/self[- ]signed/i);
    await expect(raw(`${stack.url}/api/health`, { servername: 'other.test' })).rejects.toThrow(/other\.test/);
  });

  it('the http port answers every request with a 308 to the https origin (same host, path and query) and serves nothing', async () => {
    const http = `http://127.0.0.1:${stack.redirectPort}`;
    expect(stack.redirectPort).toBeGreaterThan(0);
    const r = await raw(`${http}/fill/housing.rural-house?region=420999001001&x=%E4%B8%AD`);
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://127.0.0.1:${stack.port}/fill/housing.rural-house?region=420999001001&x=%E4%B8%AD`);
    // The host the browser used, not the address the server listens on.
    const named = await raw(`${http}/login`, { headers: { host: `census.test:${stack.redirectPort}` } });
    expect(named.headers.location).toBe(`https://census.test:${stack.port}/login`);
    // Nothing is served on plain http: not the API, not a POST (308 keeps the method, so the client repeats it on https).
    const api = await raw(`${http}/api/health`);
    expect(api.status).toBe(308);
    expect(api.body.toString()).not.toContain('"ok"');
    const post = await raw(`${http}/api/auth/login`, { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'x' }) });
    expect(post.status).toBe(308);
    expect(post.headers.location).toBe(`https://127.0.0.1:${stack.port}/api/auth/login`);
    const head = await raw(`${http}/`, { method: 'HEAD' });
    expect(head.status).toBe(308);
    expect(head.body.length).toBe(0);
    // A Host header that is not a host name is not echoed into the Location.
    const odd = await raw(`${http}/x`, { headers: { host: 'evil.test/@x' } });
    expect(odd.headers.location).toBe(`https://127.0.0.1:${stack.port}/x`);
    // TLS on the redirect port (a browser that knows HSTS for the host upgrades http://host:port itself) gets the same answer.
    const tlsThere = await raw(`https://127.0.0.1:${stack.redirectPort}/login?a=1`);
    expect(tlsThere.status).toBe(308);
    expect(tlsThere.headers.location).toBe(`https://127.0.0.1:${stack.port}/login?a=1`);
    // The http port carries no HSTS (browsers ignore it over http; it is sent on https).
    expect(r.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('security headers', () => {
  const asset = () => {
    const dirJs = join(webRoot, '_app', 'immutable', 'entry');
    return `/_app/immutable/entry/${readdirSync(dirJs).find((n) => n.endsWith('.js'))!}`;
  };

  const paths = (): [string, string, Record<string, string>?][] => [
    ['shell', '/'],
    ['client route', '/dashboard'],
    ['hashed asset', asset()],
    ['service worker', '/service-worker.js'],
    ['manifest', '/manifest.webmanifest'],
    ['icon', '/icon-192.png'],
    ['config.json', '/config.json'],
    ['JSON', '/api/health'],
    ['JSON with auth', '/api/me', { authorization: `Bearer ${token}` }],
    ['problem 401', '/api/me'],
    ['problem 404', '/api/no-such-thing'],
    ['file endpoint 404', '/files/no-such-file'],
    ['file endpoint 403', '/files/attachments/x.jpg?exp=1&sig=bad'],
  ];

  it('every response over https carries the set CloudFront sends, HSTS included', async () => {
    for (const [name, path, headers] of paths()) {
      for (const method of ['GET', 'HEAD']) {
        const r = await raw(`${stack.url}${path}`, { method, ...(headers ? { headers } : {}) });
        const h = r.headers;
        expect(h['content-security-policy'], `${name} ${method}`).toMatch(/^default-src 'self'; /);
        expect(directive(h['content-security-policy'], 'frame-ancestors'), name).toBe("frame-ancestors 'none'");
        expect(directive(h['content-security-policy'], 'upgrade-insecure-requests'), name).toBe('upgrade-insecure-requests');
        expect(h['x-frame-options'], name).toBe('DENY');
        expect(h['x-content-type-options'], name).toBe('nosniff');
        expect(h['referrer-policy'], name).toBe('strict-origin-when-cross-origin');
        expect(h['permissions-policy'], name).toBe('camera=(self), geolocation=(self), microphone=(), payment=(), usb=()');
        expect(h['cross-origin-opener-policy'], name).toBe('same-origin');
        expect(h['strict-transport-security'], name).toBe('max-age=63072000; includeSubDomains');
        if (method === 'HEAD') expect(r.body.length, `${name} HEAD has no body`).toBe(0);
      }
    }
    const problem = await raw(`${stack.url}/api/no-such-thing`);
    expect(problem.status).toBe(404);
    expect(problem.headers['content-type']).toContain('application/problem+json');
    const files = await raw(`${stack.url}/files/no-such-file`);
    expect(files.headers['content-type']).toContain('application/problem+json');
  });

  it('without TLS the same headers go out, minus HSTS and upgrade-insecure-requests', async () => {
    for (const [name, path, headers] of paths()) {
      const h = (await raw(`${plainBase}${path}`, headers ? { headers } : {})).headers;
      expect(h['content-security-policy'], name).toMatch(/^default-src 'self'; /);
      expect(h['content-security-policy'], name).not.toContain('upgrade-insecure-requests');
      expect(h['x-frame-options'], name).toBe('DENY');
      expect(h['permissions-policy'], name).toContain('geolocation=(self)');
      expect(h['strict-transport-security'], name).toBeUndefined();
    }
  });

  it("the CSP allows the shell's inline script by its SHA-256 (computed here), nothing inline else, and connects to 'self' only", async () => {
    const html = readFileSync(join(webRoot, 'index.html'), 'utf8');
    const hashes = inlineScripts(html).map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
    expect(hashes.length).toBeGreaterThan(0);
    const csp = String((await raw(`${stack.url}/`)).headers['content-security-policy']);
    expect(directive(csp, 'script-src')).toBe(`script-src 'self' ${hashes.sort().join(' ')}`);
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(directive(csp, 'connect-src')).toBe("connect-src 'self'");
    expect(directive(csp, 'default-src')).toBe("default-src 'self'");
    expect(directive(csp, 'object-src')).toBe("object-src 'none'");
    expect(directive(csp, 'worker-src')).toBe("worker-src 'self'");
  });

  it('a rebuilt shell gets its new hash without a restart (and a stale precompressed copy is not sent)', async () => {
    const file = join(webRoot, 'index.html');
    const before = readFileSync(file, 'utf8');
    try {
      const changed = before.replace('<script>', '<script>/* rebuilt */');
      writeFileSync(file, changed);
      const later = new Date(Date.now() + 5_000);
      utimesSync(file, later, later);
      const hash = `'sha256-${createHash('sha256').update(inlineScripts(changed)[0]!, 'utf8').digest('base64')}'`;
      await expect.poll(async () => (await raw(`${stack.url}/`)).headers['content-security-policy'], { timeout: 5_000, interval: 300 }).toContain(hash);
      const r = await raw(`${stack.url}/`, { headers: { 'accept-encoding': 'br, gzip' } });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.body.toString()).toBe(changed);
    } finally {
      writeFileSync(file, before);
      const old = new Date(statSync(`${file}.br`).mtimeMs - 5_000);
      utimesSync(file, old, old);
    }
  });
});

describe('compression', () => {
  /** The largest JavaScript file of the build and its bytes. */
  function largestJs(): { path: string; bytes: Buffer } {
    let best = '';
    let size = 0;
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.js') && statSync(p).size > size) [best, size] = [p, statSync(p).size];
      }
    };
    walk(join(webRoot, '_app', 'immutable'));
    return { path: best.slice(webRoot.length), bytes: readFileSync(best) };
  }

  it('the build script wrote .br and .gz beside text files only, each smaller than its file', () => {
    const all = readdirSync(webRoot, { recursive: true }) as string[];
    const text = all.filter((p) => /\.(js|css|html|json|svg|webmanifest)$/.test(p) && statSync(join(webRoot, p)).size > 1024);
    expect(text.length).toBeGreaterThan(10);
    for (const p of text) {
      for (const ext of ['.br', '.gz']) {
        expect(existsSync(join(webRoot, p + ext)), p + ext).toBe(true);
        expect(statSync(join(webRoot, p + ext)).size).toBeLessThan(statSync(join(webRoot, p)).size);
      }
    }
    for (const p of all.filter((x) => /\.(png|jpe?g|webp|woff2?|ico)$/.test(x))) {
      expect(existsSync(join(webRoot, `${p}.br`)), `${p} is compressed already`).toBe(false);
      expect(existsSync(join(webRoot, `${p}.gz`))).toBe(false);
    }
  });

  it('a precompressed asset is served as br and as gzip per Accept-Encoding, each decoding to the plain bytes', async () => {
    const js = largestJs();
    expect(js.bytes.length).toBeGreaterThan(10_000);
    const url = `${stack.url}${js.path}`;

    const br = await raw(url, { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('Accept-Encoding');
    expect(br.headers['content-type']).toContain('text/javascript');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(js.bytes.length / 2);
    expect(brotliDecompressSync(br.body).equals(js.bytes)).toBe(true);

    const gz = await raw(url, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(gunzipSync(gz.body).equals(js.bytes)).toBe(true);
    // q-values count: brotli refused → gzip; nothing acceptable → the file as it is.
    expect((await raw(url, { headers: { 'accept-encoding': 'br;q=0, gzip;q=0.8' } })).headers['content-encoding']).toBe('gzip');
    const none = await raw(url, { headers: { 'accept-encoding': 'identity' } });
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(Number(none.headers['content-length'])).toBe(js.bytes.length);
    expect(none.body.equals(js.bytes)).toBe(true);
    expect((await raw(url)).body.equals(js.bytes)).toBe(true);

    // HEAD: the headers of the chosen copy, no body.
    const head = await raw(url, { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.headers['content-length']).toBe(br.headers['content-length']);
    expect(head.body.length).toBe(0);

    // The shell: compressed too, and revalidated on every load.
    const shell = await raw(`${stack.url}/`, { headers: { 'accept-encoding': 'br' } });
    expect(shell.headers['content-encoding']).toBe('br');
    expect(shell.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(shell.body).toString()).toBe(readFileSync(join(webRoot, 'index.html'), 'utf8'));
    expect((await raw(`${stack.url}/service-worker.js`)).headers['cache-control']).toBe('no-cache');

    // Already-compressed formats go out as they are.
    const png = await raw(`${stack.url}/icon-512.png`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.body.equals(readFileSync(join(webRoot, 'icon-512.png')))).toBe(true);
  });

  it('a JSON answer over 1 KB is compressed on the fly and decodes to the same JSON; a tiny one is not', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const plainForms = await raw(`${stack.url}/api/forms`, { headers: auth });
    expect(plainForms.status).toBe(200);
    expect(plainForms.body.length).toBeGreaterThan(1024);
    expect(plainForms.headers['content-encoding']).toBeUndefined();
    const expected = json(plainForms);

    const br = await raw(`${stack.url}/api/forms`, { headers: { ...auth, 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toContain('Accept-Encoding');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(plainForms.body.length);
    expect(JSON.parse(brotliDecompressSync(br.body).toString('utf8'))).toEqual(expected);

    const gz = await raw(`${stack.url}/api/forms`, { headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(gz.body.length);
    expect(JSON.parse(gunzipSync(gz.body).toString('utf8'))).toEqual(expected);

    const tiny = await raw(`${stack.url}/api/health`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(tiny.body.length).toBeLessThan(1024);
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(Number(tiny.headers['content-length'])).toBe(tiny.body.length);
    expect(json(tiny)).toMatchObject({ ok: true });
    const problem = await raw(`${stack.url}/api/me`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(problem.status).toBe(401);
    expect(problem.headers['content-encoding']).toBeUndefined();
    expect(json(problem)).toMatchObject({ code: 'auth.required' });
  });
});

describe('npm start on the office network', () => {
  interface Run {
    output: () => string;
    exit: Promise<number | null>;
    kill: (signal: NodeJS.Signals) => void;
  }
  function start(env: Record<string, string>): Run {
    const e: Record<string, string | undefined> = { ...process.env };
    // Only what the case sets: nothing of this process's wiring or shell may leak into the child.
    for (const k of ['LOCAL_KEYS_FILE', 'LOG_LEVEL', 'STORE', 'HOST', 'TLS_CERT', 'TLS_KEY', 'TLS_CA', 'HTTP_PORT']) delete e[k];
    Object.assign(e, { DATA_DIR: mkdtempSync(join(dir, 'start-')) }, env);
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], { cwd: ROOT, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    return { output: () => out, exit: new Promise((r) => child.once('exit', (code) => r(code))), kill: (s) => child.kill(s) };
  }
  async function until(run: Run, text: string, ms = 90_000) {
    const deadline = Date.now() + ms;
    while (!run.output().includes(text)) {
      if (Date.now() > deadline) throw new Error(`npm start did not print "${text}":\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a missing file, a key of another certificate or a half configuration is one sentence and exit 1, no stack trace', async () => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', join(dir, 'other-key.pem')], { stdio: 'pipe' });
    execFileSync('openssl', ['pkey', '-in', join(dir, 'key.pem'), '-aes256', '-passout', 'pass:secret', '-out', join(dir, 'encrypted-key.pem')], { stdio: 'pipe' });
    const cases: [Record<string, string>, RegExp][] = [
      [{ TLS_CERT: join(dir, 'missing.pem'), TLS_KEY: join(dir, 'key.pem') }, /TLS_CERT=\S+missing\.pem cannot be read \(there is no such file\)/],
      [{ TLS_CERT: join(dir, 'cert.pem'), TLS_KEY: join(dir, 'other-key.pem') }, /TLS_KEY=\S+other-key\.pem does not belong to the certificate in TLS_CERT=/],
      [{ TLS_CERT: join(dir, 'key.pem'), TLS_KEY: join(dir, 'key.pem') }, /TLS_CERT=\S+ holds no readable certificate/],
      [{ TLS_CERT: join(dir, 'cert.pem'), TLS_KEY: join(dir, 'web', 'index.html') }, /TLS_KEY=\S+index\.html is not a PEM file/],
      [{ TLS_CERT: join(dir, 'cert.pem'), TLS_KEY: join(dir, 'encrypted-key.pem') }, /TLS_KEY=\S+encrypted-key\.pem is encrypted; give the server an unencrypted key/],
      [{ TLS_CERT: dir, TLS_KEY: join(dir, 'key.pem') }, /TLS_CERT=\S+ cannot be read \(it is a folder\)/],
      [{ TLS_CERT: join(dir, 'cert.pem') }, /TLS_CERT is set but TLS_KEY is not/],
      [{ HTTP_PORT: '18080' }, /HTTP_PORT \(the redirect to HTTPS\) needs TLS_CERT and TLS_KEY/],
    ];
    await Promise.all(
      cases.map(async ([env, message]) => {
        const run = start({ PORT: String(await freePort()), ...env });
        expect(await run.exit, run.output()).toBe(1);
        expect(run.output()).toMatch(message);
        expect(run.output()).toContain('Running it on the office network (HTTPS)');
        expect(run.output()).not.toMatch(/^\s+at /m);
        expect(run.output()).not.toContain('Risk Census is running');
      }),
    );
  });

  it('with a certificate of an internal CA (TLS_CERT, TLS_KEY, the intermediate in TLS_CA) it prints the https URL and serves the chain', async () => {
    // An office CA as the README describes it, with an intermediate: clients trust the root only, so the server must
    // send the intermediate (TLS_CA) for them to verify the certificate.
    const ca = join(dir, 'ca');
    mkdirSync(ca);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: ca, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    writeFileSync(join(ca, 'int.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
    writeFileSync(join(ca, 'leaf.ext'), 'subjectAltName=DNS:census.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n');
    ssl('req', '-x509', ...ec, '-days', '90', '-subj', '/CN=Office Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', 'root-key.pem', '-out', 'root.pem');
    ssl('req', ...ec, '-subj', '/CN=Office Intermediate CA', '-keyout', 'int-key.pem', '-out', 'int.csr');
    ssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root-key.pem', '-CAcreateserial', '-days', '90', '-extfile', 'int.ext', '-out', 'int.pem');
    ssl('req', ...ec, '-subj', '/CN=census.test', '-keyout', 'leaf-key.pem', '-out', 'leaf.csr');
    ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int-key.pem', '-CAcreateserial', '-days', '90', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
    const root = readFileSync(join(ca, 'root.pem'));

    const [port, httpPort] = [await freePort(), await freePort()];
    const run = start({ PORT: String(port), HTTP_PORT: String(httpPort), HOST: '127.0.0.1', TLS_CERT: join(ca, 'leaf.pem'), TLS_KEY: join(ca, 'leaf-key.pem'), TLS_CA: join(ca, 'int.pem') });
    try {
      await until(run, 'Press Ctrl-C to stop.');
      const out = run.output();
      expect(out).toContain(`Risk Census is running at https://127.0.0.1:${port}`);
      expect(out).toContain('HTTPS certificate for census.test, 127.0.0.1, valid until');
      expect(out).toContain('issued by CN=Office Intermediate CA');
      expect(out).toContain(`On the office network: https://census.test:${port}  https://127.0.0.1:${port}`);
      expect(out).toContain(`Plain http on port ${httpPort} redirects to HTTPS on port ${port}.`);
      // No warning of ours (a 90-day certificate is not near its end; HTTPS is on).
      expect(out).not.toMatch(/^(警告：|Warning: (HOST=|证书))/m);
      const health = await raw(`https://127.0.0.1:${port}/api/health`, { ca: root, servername: 'census.test' });
      expect(health.status).toBe(200);
      const chain = await new Promise<string[]>((res, rej) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'census.test', ca: root }, () => {
          const names: string[] = [];
          for (let c = socket.getPeerCertificate(true); c && !names.includes(c.subject.CN as string); c = c.issuerCertificate) names.push(c.subject.CN as string);
          socket.end();
          res(names);
        });
        socket.on('error', rej);
      });
      expect(chain).toEqual(['census.test', 'Office Intermediate CA', 'Office Root CA']);
      expect((await raw(`http://127.0.0.1:${httpPort}/`, { headers: { host: `census.test:${httpPort}` } })).headers.location).toBe(`https://census.test:${port}/`);
    } finally {
      run.kill('SIGINT');
    }
    expect(await run.exit, run.output()).toBe(0);
  }, START_MS);

  it('HOST beyond loopback without TLS starts, with a warning in Chinese and English pointing to the README', async () => {
    const port = await freePort();
    const run = start({ PORT: String(port), HOST: '0.0.0.0' });
    try {
      await until(run, 'Press Ctrl-C to stop.');
      const out = run.output();
      expect(out).toContain(`Risk Census is running at http://127.0.0.1:${port}`);
      expect(out).toMatch(/警告：HOST=0\.0\.0\.0[\s\S]*离线使用（Service Worker）、GPS 定位和相机/);
      expect(out).toMatch(/Warning: HOST=0\.0\.0\.0 serves other machines over plain http[\s\S]*refuse the offline app \(service worker\), GPS and camera/);
      expect(out).toContain('README.md, "Running it on the office network (HTTPS)"');
    } finally {
      run.kill('SIGINT');
    }
    expect(await run.exit, run.output()).toBe(0);
  }, START_MS);
});
