/**
 * The local HTTP server: the route table on node:http, plus the built web app. It plays API Gateway's part: matches
 * the route, verifies the bearer token for routes with `auth`, and puts the claims at
 * `requestContext.authorizer.jwt.claims`, so handlers run exactly as they do on AWS.
 *
 * For an office network (README, "Running it on the office network (HTTPS)"): HTTPS with `tls`, and a plain-http
 * port that only redirects (`startRedirectServer`); every response carries the security headers CloudFront sends
 * (infra/web-headers.ts, CSP hashes read from the build); static files go out precompressed (`.br`/`.gz` beside them,
 * written by `npm run build:web`) and JSON answers over 1 KB are compressed on the fly, per Accept-Encoding.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { HANDLERS } from '../../functions/http/handlers/index';
import { matchRoute } from '../../functions/http/routes';
import type { HttpEvent, HttpResult } from '../../functions/http/types';
import { MAX_BODY_BYTES, problemFor } from '../../functions/http/wrap';
import type { LocalKeys } from '../../functions/adapters/identity/local';
import type { LocalFileStore } from '../../functions/adapters/files/local-files';
import { handleFileRequest } from './file-endpoint';
import { COMPRESS_MIN_BYTES, COMPRESSIBLE_EXTENSIONS, SUFFIX, compressBody, negotiate, type Encoding } from './compression';
import type { TlsOptions } from './tls';
import { FRAME_OPTIONS, REFERRER_POLICY, contentSecurityPolicy, inlineScriptHashes, securityHeaders } from '../web-headers';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const PLACEHOLDER = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>自然灾害综合风险普查</title>
<body style="font-family:sans-serif;max-width:40rem;margin:3rem auto"><h1>自然灾害综合风险普查 · Risk Census</h1>
<p>接口已启动：<code>/api/health</code>。网页端尚未构建。</p><p>The API is running at <code>/api/*</code>; the web app has not been built yet.</p></body></html>`;

export interface LocalServerOptions {
  port: number;
  host?: string;
  keys: LocalKeys;
  webRoot: string;
  /** Served as /config.json for the web app. */
  webConfig: Record<string, unknown>;
  /** The embedded file store: browser uploads (POST /files/upload) and signed downloads (GET /files/<key>). */
  files?: LocalFileStore;
  /** Serve HTTPS with this certificate and key (checked beforehand: infra/local/tls.ts `checkTls`). */
  tls?: TlsOptions;
}

/** JSON (and problem+json) answers of at least COMPRESS_MIN_BYTES go out compressed when the client accepts it. */
async function send(res: ServerResponse, r: HttpResult) {
  const headers: Record<string, string> = { ...(r.headers ?? {}), 'x-content-type-options': 'nosniff' };
  let body: Buffer = Buffer.from(r.body ?? '', r.isBase64Encoded ? 'base64' : 'utf8');
  if (/^application\/(?:[\w.+-]+\+)?json\b/i.test(headers['content-type'] ?? '') && !headers['content-encoding']) {
    headers.vary = headers.vary ? `${headers.vary}, Accept-Encoding` : 'Accept-Encoding';
    const enc = body.length >= COMPRESS_MIN_BYTES ? negotiate(res.req?.headers['accept-encoding']) : undefined;
    if (enc) {
      body = await compressBody(body, enc);
      headers['content-encoding'] = enc;
    }
  }
  headers['content-length'] = String(body.length);
  res.writeHead(r.statusCode, headers);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/** Read the body, stopping as soon as it exceeds the limit (a 6 MB body is never buffered). */
/**
 * The request body, at most `limit` bytes: as text, or — for routes that take a file — base64 (API Gateway's
 * `isBase64Encoded` convention for binary bodies).
 */
function readBody(req: IncomingMessage, limit: number, binary: boolean): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody({ text: tooLarge ? '' : Buffer.concat(chunks).toString(binary ? 'base64' : 'utf8'), tooLarge }));
    req.on('error', reject);
  });
}

async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, opts: LocalServerOptions) {
  const requestId = randomUUID();
  const method = req.method ?? 'GET';
  const m = matchRoute(method, url.pathname);
  if (!m) return send(res, problemFor('route.not-found', `No endpoint ${url.pathname}`, undefined, requestId));
  if ('methodNotAllowed' in m) return send(res, problemFor('route.method-not-allowed', `${method} is not allowed here`, undefined, requestId));

  let claims: Record<string, unknown> | undefined;
  if (m.route.auth) {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (!token) {
      req.resume();
      return send(res, problemFor('auth.required', 'Send Authorization: Bearer <token>', undefined, requestId));
    }
    try {
      claims = (await opts.keys.verify(token)) as Record<string, unknown>;
    } catch {
      req.resume();
      return send(res, problemFor('auth.invalid-token', 'The token is invalid or has expired; log in again', undefined, requestId));
    }
  }
  const limit = m.route.binaryBody?.maxBytes ?? MAX_BODY_BYTES;
  const { text, tooLarge } = await readBody(req, limit, m.route.binaryBody !== undefined);
  if (tooLarge) return send(res, problemFor('request.too-large', `Bodies are limited to ${Math.round(limit / 1024)} KB here`, undefined, requestId));

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const event: HttpEvent = {
    version: '2.0',
    routeKey: `${m.route.method} ${m.route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(m.params).length ? m.params : undefined,
    body: text.length ? text : undefined,
    isBase64Encoded: m.route.binaryBody !== undefined,
    requestContext: {
      requestId,
      http: { method, path: url.pathname, sourceIp: req.socket.remoteAddress },
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
  };
  const handler = HANDLERS[m.route.module]?.[m.route.handler];
  if (!handler) return send(res, problemFor('internal', 'Handler missing', undefined, requestId));
  await send(res, await handler(event));
}

function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL, opts: LocalServerOptions) {
  if (url.pathname === '/config.json') {
    res.writeHead(200, { 'content-type': MIME['.json']!, 'cache-control': 'no-store' });
    return res.end(JSON.stringify(opts.webConfig));
  }
  const root = resolve(opts.webRoot);
  let file: string | undefined;
  try {
    const p = normalize(join(root, decodeURIComponent(url.pathname)));
    if (p.startsWith(root + sep) && existsSync(p) && statSync(p).isFile()) file = p;
  } catch {
    file = undefined;
  }
  // SPA fallback: unknown paths get the app shell so client-side routes work on reload.
  if (!file) {
    for (const shell of ['200.html', 'index.html']) {
      const p = join(root, shell);
      if (existsSync(p)) {
        file = p;
        break;
      }
    }
  }
  if (!file) {
    res.writeHead(200, { 'content-type': MIME['.html']! });
    return res.end(PLACEHOLDER);
  }
  const immutable = file.includes(`${join('_app', 'immutable')}`);
  const headers: Record<string, string> = {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  };
  // The build's precompressed copy (`npm run build:web` writes <file>.br and <file>.gz) when the client takes it.
  let body = file;
  if (COMPRESSIBLE_EXTENSIONS.has(extname(file).toLowerCase())) {
    headers.vary = 'Accept-Encoding';
    // A copy older than its file (the file changed after the build) is never sent.
    const mtime = statSync(file).mtimeMs;
    const available = (['br', 'gzip'] as Encoding[]).filter((e) => {
      try {
        return statSync(file + SUFFIX[e]).mtimeMs >= mtime;
      } catch {
        return false;
      }
    });
    const enc = negotiate(req.headers['accept-encoding'], available);
    if (enc) {
      body = file + SUFFIX[enc];
      headers['content-encoding'] = enc;
    }
  }
  headers['content-length'] = String(statSync(body).size);
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  createReadStream(body).pipe(res);
}

/**
 * The security headers for this web root: the CSP's script hashes are those of the shell's inline scripts, read again
 * whenever index.html or 200.html changes (a rebuild while the server runs keeps the app working).
 */
function headersFor(webRoot: string, https: boolean): () => Record<string, string> {
  let signature = '';
  let headers: Record<string, string> = {};
  let checkedAt = 0;
  return () => {
    const now = Date.now();
    if (now - checkedAt < 1000 && signature) return headers;
    checkedAt = now;
    const sig = ['index.html', '200.html']
      .map((n) => {
        try {
          const st = statSync(join(webRoot, n));
          return `${st.mtimeMs}:${st.size}`;
        } catch {
          return '-';
        }
      })
      .join('|');
    if (sig !== signature) {
      signature = sig;
      headers = securityHeaders({ csp: contentSecurityPolicy({ scriptHashes: inlineScriptHashes(webRoot), upgradeInsecureRequests: https }), https });
    }
    return headers;
  };
}

export function startServer(opts: LocalServerOptions): Promise<Server | HttpsServer> {
  const security = headersFor(resolve(opts.webRoot), !!opts.tls);
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(security())) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const work =
      url.pathname === '/api' || url.pathname.startsWith('/api/')
        ? handleApi(req, res, url, opts)
        : opts.files && url.pathname.startsWith('/files/')
          ? handleFileRequest(req, res, url, opts.files).then(() => undefined)
          : Promise.resolve(serveStatic(req, res, url, opts));
    work.catch((e) => {
      console.error(JSON.stringify({ level: 'error', error: String(e), stack: (e as Error)?.stack }));
      if (!res.headersSent) void send(res, problemFor('internal')).catch(() => res.destroy());
      else res.end();
    });
  };
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 5_000;
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => res(server));
  });
}

/** A Host header's host part, if it is a plausible DNS name or IP literal (anything else is not echoed into a Location). */
function hostOf(header: string | undefined): string | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,252}))(?::\d{1,5})?$/i.exec(header ?? '');
  return m?.[1];
}

export interface RedirectServerOptions {
  port: number;
  host?: string;
  /** The HTTPS port everything is sent to. */
  httpsPort: number;
  /** The same certificate: a browser that learned HSTS for the host upgrades http://host:<port> to https://host:<port>
   * itself, so TLS on this port is answered with the same redirect. */
  tls: TlsOptions;
  /** Used when a request has no usable Host header. */
  fallbackHost: string;
}

/**
 * The plain-http port of an HTTPS server: every request, whatever its method or path, is answered 308 with the same
 * path and query on https://<host>:<httpsPort>. Nothing is served here. A TLS handshake on this port (first byte 0x16)
 * gets the same answer over TLS.
 */
export function startRedirectServer(opts: RedirectServerOptions): Promise<NetServer> {
  const redirect = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const host = hostOf(req.headers.host) ?? opts.fallbackHost;
    const origin = `https://${host}${opts.httpsPort === 443 ? '' : `:${opts.httpsPort}`}`;
    const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
    const location = origin + path;
    const body = `Redirecting to ${location}\n`;
    res.writeHead(308, {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-content-type-options': 'nosniff',
      'x-frame-options': FRAME_OPTIONS,
      'referrer-policy': REFERRER_POLICY,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const plain = createServer(redirect);
  const secure = createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, redirect);
  plain.keepAliveTimeout = 5_000;
  secure.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A connection that never says anything is not kept (the http/https servers take over timeouts after that).
    socket.setTimeout(10_000, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
    socket.on('error', () => socket.destroy());
  });
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    plain.close();
    secure.close();
    return close(cb);
  };
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => res(server));
  });
}
