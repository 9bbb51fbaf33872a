/**
 * The one wrapper every handler goes through. It owns: body size (413), content type (415), JSON parsing (400),
 * identity (claims → Principal from Members), the route's role list (403), problem+json errors, and request logging.
 * Handlers return `{ status, body, headers }` and never build a status code themselves.
 */
import { DomainError, ERRORS, type ErrorCode, type FieldError } from '#domain/errors';
import type { Member, Ports } from '#app/ports';
import { ROUTES } from './routes';
import type { HttpEvent, HttpResult } from './types';
import { getPorts } from './ports';

export const MAX_BODY_BYTES = 256 * 1024;

export interface Request {
  event: HttpEvent;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  principal: Member;
  ports: Ports;
  requestId: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const MEMBER_TTL_MS = 30_000;
const memberCache = new Map<string, { member: Member | undefined; at: number }>();

/** Forget cached principals (after a membership change). */
export function clearMemberCache(): void {
  memberCache.clear();
}

async function resolveMember(ports: Ports, sub: string): Promise<Member | undefined> {
  const hit = memberCache.get(sub);
  const now = Date.now();
  if (hit && now - hit.at < MEMBER_TTL_MS) return hit.member;
  const member = await ports.directory.member(sub);
  memberCache.set(sub, { member, at: now });
  return member;
}

export function problem(status: number, code: string, title: string, detail?: string, errors?: FieldError[], requestId?: string): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify({
      type: `https://risk-census.invalid/problems/${code}`,
      title,
      status,
      code,
      ...(detail ? { detail } : {}),
      ...(errors?.length ? { errors } : {}),
      ...(requestId ? { requestId } : {}),
    }),
  };
}

export function problemFor(code: ErrorCode, detail?: string, errors?: FieldError[], requestId?: string): HttpResult {
  const e = ERRORS[code];
  return problem(e.status, code, e.title, detail, errors, requestId);
}

function lowerHeaders(h: HttpEvent['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function log(entry: Record<string, unknown>) {
  if (process.env.LOG_LEVEL === 'silent') return;
  console.log(JSON.stringify(entry));
}

type Fn = (req: Request) => Promise<Reply>;

/** Wrap a use-case call as a handler of the route `module.handler` in the route table. */
export function endpoint(module: string, handler: string, fn: Fn) {
  const route = ROUTES.find((r) => r.module === module && r.handler === handler);
  if (!route) throw new Error(`no route for ${module}.${handler}`);
  return async (event: HttpEvent): Promise<HttpResult> => {
    const started = Date.now();
    const requestId = event.requestContext?.requestId ?? '-';
    let result: HttpResult;
    let user: string | undefined;
    try {
      const headers = lowerHeaders(event.headers);
      const ports = getPorts();
      let principal: Member = { userId: '', username: '', displayName: '', role: 'viewer', sector: null, regions: [] };
      if (route.auth) {
        const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
        if (typeof sub !== 'string' || !sub) throw new DomainError('auth.required');
        const member = await resolveMember(ports, sub);
        if (!member) throw new DomainError('access.forbidden', 'This identity is not a member of the census office');
        user = member.username;
        principal = member;
      }
      const body = parseBody(event, headers);
      if (route.auth && !route.roles.includes(principal.role)) throw new DomainError('access.forbidden', `The ${principal.role} role cannot do this`);
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.pathParameters ?? {})) if (v !== undefined) params[k] = v;
      const reply = await fn({ event, params, query, headers, body, principal, ports, requestId });
      result = {
        statusCode: reply.status,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(reply.headers ?? {}) },
        body: reply.body === undefined ? '' : JSON.stringify(reply.body),
      };
    } catch (e) {
      if (e instanceof DomainError) {
        result = problemFor(e.code, e.detail, e.errors, requestId);
      } else {
        console.error(JSON.stringify({ level: 'error', requestId, error: String(e), stack: (e as Error)?.stack }));
        result = problemFor('internal', 'Something went wrong on our side; the request id identifies it in the logs.', undefined, requestId);
      }
    }
    log({ level: 'info', requestId, method: event.requestContext?.http?.method, path: event.rawPath, status: result.statusCode, ms: Date.now() - started, user });
    return result;
  };
}

function parseBody(event: HttpEvent, headers: Record<string, string>): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const declared = Number(headers['content-length'] ?? NaN);
  if ((Number.isFinite(declared) && declared > MAX_BODY_BYTES) || Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new DomainError('request.too-large', `Bodies are limited to ${MAX_BODY_BYTES / 1024} KB`);
  }
  if (text.length === 0) return undefined;
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new DomainError('request.unsupported-media-type', 'Send JSON with Content-Type: application/json');
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError('request.malformed', 'The body is not valid JSON');
  }
}
