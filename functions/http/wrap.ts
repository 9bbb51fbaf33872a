/**
 * The one wrapper every handler goes through. It owns: body size (413), content type (415), JSON parsing (400),
 * identity (claims → Principal from Members, read on every request: disabled members and ended sessions → 401), the
 * route's role list (403), problem+json errors, and request logging.
 * Handlers return `{ status, body, headers }` and never build a status code themselves.
 */
import { DomainError, ERRORS, type ErrorCode, type FieldError } from '#domain/errors';
import { RecordTooLarge, type Member, type Ports } from '#app/ports';
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
  /** The caller's session: the token's `sid` (local tokens) and whether it may only change a temporary password. */
  session: { id?: string; mustChange: boolean };
  ports: Ports;
  requestId: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A file instead of JSON (its content-type in `headers`); sent base64-encoded, as API Gateway expects. */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
}

/**
 * When the session behind a token began, in ms: the local issuer's `iat_ms`; for Cognito `auth_time` (the sign-in, which
 * a refresh keeps, so a refresh token from before a revocation cannot mint accepted tokens), else `iat` (seconds). API
 * Gateway's JWT authorizer hands claims over as strings, the local server as JSON values: both are read.
 */
function issuedAtMs(claims: Record<string, unknown>): number | undefined {
  for (const [claim, scale] of [['iat_ms', 1], ['auth_time', 1000], ['iat', 1000]] as const) {
    const v = Number(claims[claim]);
    if (claims[claim] !== undefined && Number.isFinite(v)) return v * scale;
  }
  return undefined;
}

/**
 * The member behind verified token claims, or the reason they may not act: not a member (403), disabled or a session
 * that was ended — password change, reset, disable (401 auth.revoked) — or a token that may only change its
 * temporary password (403 password.change-required) on any route but that one.
 */
export async function principalFromClaims(ports: Ports, claims: Record<string, unknown> | undefined, route: { path: string }): Promise<Member> {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || !sub) throw new DomainError('auth.required');
  const member = await ports.directory.member(sub);
  if (!member) throw new DomainError('access.forbidden', 'This identity is not a member of the census office');
  if ((member.status ?? 'active') === 'disabled') throw new DomainError('auth.revoked', 'This account has been disabled');
  if (member.sessionsRevokedAt) {
    const issued = issuedAtMs(claims!);
    // A token issued before (or, for whole-second Cognito tokens, in the same second as) the revocation is refused.
    const kept = member.keptSession !== undefined && claims!.sid === member.keptSession;
    if (!kept && (issued === undefined || issued < Date.parse(member.sessionsRevokedAt))) throw new DomainError('auth.revoked', 'This session has ended; sign in again');
  }
  if ((claims!.pwd_change === true || claims!.pwd_change === 'true') && route.path !== '/api/me/password') {
    throw new DomainError('password.change-required', 'Choose a new password (POST /api/me/password) before anything else');
  }
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
      const ports = await getPorts();
      let principal: Member = { userId: '', username: '', displayName: '', role: 'viewer', sector: null, regions: [] };
      const claims = event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined;
      const session = { ...(typeof claims?.sid === 'string' ? { id: claims.sid } : {}), mustChange: claims?.pwd_change === true || claims?.pwd_change === 'true' };
      if (route.auth) {
        const member = await principalFromClaims(ports, claims, route);
        user = member.username;
        principal = member;
      }
      // The role gate before the body: a caller outside it learns nothing about what the route would accept.
      if (route.auth && !route.roles.includes(principal.role)) throw new DomainError('access.forbidden', `The ${principal.role} role cannot do this`);
      const body = route.binaryBody ? parseFileBody(event, headers, route.binaryBody) : parseBody(event, headers);
      const query: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) query[k] = v;
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(event.pathParameters ?? {})) if (v !== undefined) params[k] = v;
      const reply = await fn({ event, params, query, headers, body, principal, session, ports, requestId });
      result = reply.bytes
        ? {
            statusCode: reply.status,
            headers: { 'cache-control': 'no-store', ...(reply.headers ?? {}) },
            body: Buffer.from(reply.bytes).toString('base64'),
            isBase64Encoded: true,
          }
        : {
            statusCode: reply.status,
            headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(reply.headers ?? {}) },
            body: reply.body === undefined ? '' : JSON.stringify(reply.body),
          };
    } catch (e) {
      if (e instanceof DomainError) {
        result = problemFor(e.code, e.detail, e.errors, requestId);
      } else if (e instanceof RecordTooLarge) {
        result = problemFor('request.too-large', 'The record is larger than storage keeps', undefined, requestId);
      } else if (isTransientFailure(e)) {
        // Throttled or unreachable storage: the write (one transaction) did not happen; the client retries later.
        log({ level: 'warn', requestId, error: String(e), name: (e as Error)?.name });
        result = problemFor('service.unavailable', 'Storage is busy or unreachable; nothing was saved. Retry after the pause in Retry-After.', undefined, requestId);
        result.headers = { ...result.headers, 'retry-after': String(RETRY_AFTER_S) };
      } else {
        console.error(JSON.stringify({ level: 'error', requestId, error: String(e), stack: (e as Error)?.stack }));
        result = problemFor('internal', 'Something went wrong on our side; the request id identifies it in the logs.', undefined, requestId);
      }
    }
    log({ level: 'info', requestId, method: event.requestContext?.http?.method, path: event.rawPath, status: result.statusCode, ms: Date.now() - started, user });
    return result;
  };
}

/** Seconds a client should wait after a 503 before retrying. */
export const RETRY_AFTER_S = 1;

/** Error names of AWS services (DynamoDB, S3) that mean "slow down": the request was refused, not applied. */
const THROTTLING_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);
/** Server-side failures of the storage services: retryable, and say nothing about the request. */
const UNAVAILABLE_NAMES = new Set(['ServiceUnavailable', 'InternalServerError', 'InternalError', 'ServiceException']);
/** Socket-level failures: storage could not be reached (connection refused or reset, timeouts). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/**
 * Failures of a dependency that the client should retry (→ 503 + Retry-After): throttling, a transaction cancelled for
 * throttling or contention, a 5xx from the service, or a connection that could not be made. Never input errors.
 */
export function isTransientFailure(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { name?: string; code?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number }; CancellationReasons?: { Code?: string }[] };
  if (err.name && (THROTTLING_NAMES.has(err.name) || UNAVAILABLE_NAMES.has(err.name))) return true;
  if (err.name === 'TransactionCanceledException') {
    return (err.CancellationReasons ?? []).some((r) => r.Code === 'ThrottlingError' || r.Code === 'TransactionConflict' || r.Code === 'ProvisionedThroughputExceeded');
  }
  // The embedded store: the database is locked by a backup or a checkpoint beyond the busy timeout, or the disk failed
  // or is full; the transaction was rolled back.
  if (err.name === 'SqliteError' && err.code && /^SQLITE_(BUSY|LOCKED|FULL|IOERR)/.test(err.code)) return true;
  if (err.name === 'TimeoutError' || (err.code && NETWORK_CODES.has(err.code)) || (err.cause?.code && NETWORK_CODES.has(err.cause.code))) return true;
  const status = err.$metadata?.httpStatusCode;
  return status === 503 || status === 429;
}

/** A file body (routes with `binaryBody`): its bytes, when the content type is one the route takes and it is not too large. */
function parseFileBody(event: HttpEvent, headers: Record<string, string>, accepts: { types: readonly string[]; maxBytes: number }): Uint8Array | undefined {
  const raw = event.body ?? '';
  const declared = Number(headers['content-length'] ?? NaN);
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if ((Number.isFinite(declared) && declared > accepts.maxBytes) || bytes.length > accepts.maxBytes) {
    throw new DomainError('request.too-large', `Files are limited to ${accepts.maxBytes / 1024 / 1024} MB here`);
  }
  if (bytes.length === 0) return undefined;
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!accepts.types.includes(type)) {
    throw new DomainError('request.unsupported-media-type', `Send the file with Content-Type: ${accepts.types.join(' or ')}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
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
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DomainError('request.malformed', 'The body is not valid JSON');
  }
  const bad = checkText(body);
  if (bad?.problem === 'depth') {
    throw new DomainError('request.malformed', `The body is nested more than ${MAX_DEPTH} levels deep`, [
      { path: bad.path || '(body)', code: 'too-deep', message: { zh: `嵌套层级过深（最多 ${MAX_DEPTH} 层）`, en: `Nested too deeply (at most ${MAX_DEPTH} levels)` } },
    ]);
  }
  if (bad) {
    throw new DomainError('request.malformed', 'The body holds text that is not valid Unicode (an unpaired surrogate such as \\ud800); send I-JSON (RFC 7493)', [
      { path: bad.path || '(body)', code: 'encoding', message: { zh: '文本包含无效字符（不成对的代理码位）', en: 'Text contains an invalid character (an unpaired surrogate)' } },
    ]);
  }
  return body;
}

/**
 * Deepest nesting a body may have. The deepest legitimate answer (a polygon inside a repeat row) is 7 levels below the
 * body; DynamoDB itself refuses documents nested over 32 levels, and recursive code further on must never see more.
 */
export const MAX_DEPTH = 32;

/** A lone UTF-16 surrogate in a key or string (JSON allows the escape, I-JSON and UTF-8 storage do not). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * One iterative pass over a parsed body (deep nesting cannot overflow it): the path of the first value nested deeper than
 * MAX_DEPTH, or of the first key or string holding an unpaired surrogate; undefined when the body is fine.
 */
function checkText(root: unknown): { problem: 'depth' | 'encoding'; path: string } | undefined {
  const stack: [unknown, string, number][] = [[root, '', 0]];
  while (stack.length) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return { problem: 'encoding', path };
    } else if (v && typeof v === 'object') {
      if (depth >= MAX_DEPTH) return { problem: 'depth', path };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push([v[i], `${path}[${i}]`, depth + 1]);
      } else {
        for (const [k, x] of Object.entries(v)) {
          const p = path ? `${path}.${k}` : k;
          if (LONE_SURROGATE.test(k)) return { problem: 'encoding', path: p };
          stack.push([x, p, depth + 1]);
        }
      }
    }
  }
  return undefined;
}
