/**
 * The local HTTP server: the route table on node:http, plus the built web app. It plays API Gateway's part: matches
 * the route, verifies the bearer token for routes with `auth`, and puts the claims at
 * `requestContext.authorizer.jwt.claims`, so handlers run exactly as they do on AWS.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { HANDLERS } from '../../functions/http/handlers/index';
import { matchRoute } from '../../functions/http/routes';
import type { HttpEvent, HttpResult } from '../../functions/http/types';
import { MAX_BODY_BYTES, problemFor } from '../../functions/http/wrap';
import type { LocalKeys } from '../../functions/adapters/identity/local';
import type { LocalFileStore } from '../../functions/adapters/files/local-files';
import { handleFileRequest } from './file-endpoint';

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
}

function send(res: ServerResponse, r: HttpResult) {
  res.writeHead(r.statusCode, { ...(r.headers ?? {}), 'x-content-type-options': 'nosniff' });
  res.end(r.body ?? '');
}

/** Read the body, stopping as soon as it exceeds the limit (a 6 MB body is never buffered). */
function readBody(req: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      if (tooLarge) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolveBody({ text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge }));
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
  const { text, tooLarge } = await readBody(req);
  if (tooLarge) return send(res, problemFor('request.too-large', `Bodies are limited to ${MAX_BODY_BYTES / 1024} KB`, undefined, requestId));

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
    isBase64Encoded: false,
    requestContext: {
      requestId,
      http: { method, path: url.pathname, sourceIp: req.socket.remoteAddress },
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
  };
  const handler = HANDLERS[m.route.module]?.[m.route.handler];
  if (!handler) return send(res, problemFor('internal', 'Handler missing', undefined, requestId));
  send(res, await handler(event));
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
    if (p.startsWith(root) && existsSync(p) && statSync(p).isFile()) file = p;
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
  res.writeHead(200, {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
}

export function startServer(opts: LocalServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const work =
      url.pathname === '/api' || url.pathname.startsWith('/api/')
        ? handleApi(req, res, url, opts)
        : opts.files && url.pathname.startsWith('/files/')
          ? handleFileRequest(req, res, url, opts.files).then(() => undefined)
          : Promise.resolve(serveStatic(req, res, url, opts));
    work.catch((e) => {
      console.error(JSON.stringify({ level: 'error', error: String(e), stack: (e as Error)?.stack }));
      if (!res.headersSent) send(res, problemFor('internal'));
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => res(server));
  });
}
