/**
 * log-in — POST /api/auth/login { username, password } (local mode only).
 * Verifies the scrypt hash and issues an ES256 token (12 h; revocation is checked on every request). A disabled member is
 * refused; a temporary password (or, with PASSWORD_MAX_AGE_DAYS, an old one) gives a token that may only change it. Repeated failures for one username are slowed
 * down (429) so passwords cannot be guessed quickly; a wrong username and a wrong password look the same (401).
 */
import { DomainError } from '#domain/errors';
import { verifyPassword, type LocalKeys } from '#adapters/identity/local';
import type { Ports } from './ports';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 10;
const failures = new Map<string, { count: number; since: number }>();

/** Office setting (等保 2.0): passwords older than this many days must be changed at sign-in. Unset: no expiry. */
export function passwordMaxAgeDays(env: Record<string, string | undefined> = process.env): number | undefined {
  const n = Number(env.PASSWORD_MAX_AGE_DAYS);
  return env.PASSWORD_MAX_AGE_DAYS && Number.isInteger(n) && n > 0 ? n : undefined;
}

export async function logIn(ports: Ports, keys: LocalKeys, body: unknown): Promise<{ token: string; expiresAt: string; mustChangePassword?: true }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { username, password }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'username' && k !== 'password');
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`);
  if (typeof b.username !== 'string' || typeof b.password !== 'string' || b.username.length > 100 || b.password.length > 200) {
    throw new DomainError('request.malformed', 'username and password are text');
  }
  const username = b.username.trim().toLowerCase();
  const now = Date.now();
  const f = failures.get(username);
  if (f && now - f.since < WINDOW_MS && f.count >= MAX_FAILURES) throw new DomainError('rate.limited', 'Too many failed attempts; wait a minute');
  const user = await ports.directory.localUser(username);
  const ok = user ? await verifyPassword(b.password, user.passwordHash) : false;
  if (!user || !ok) {
    const cur = f && now - f.since < WINDOW_MS ? f : { count: 0, since: now };
    cur.count++;
    failures.set(username, cur);
    throw new DomainError('auth.bad-credentials');
  }
  failures.delete(username);
  const member = await ports.directory.member(user.sub);
  if (!member || (member.status ?? 'active') === 'disabled') throw new DomainError('auth.revoked', 'This account is disabled; ask the census office');
  const now8 = ports.now();
  if (user.mustChangePassword && user.temporaryUntil && Date.parse(user.temporaryUntil) < now8.getTime()) {
    throw new DomainError('auth.bad-credentials', 'The temporary password has expired; ask an administrator to reset it');
  }
  const maxAge = passwordMaxAgeDays();
  const expired = maxAge !== undefined && !user.mustChangePassword && (!user.passwordChangedAt || now8.getTime() - Date.parse(user.passwordChangedAt) > maxAge * 86_400_000);
  const mustChange = Boolean(user.mustChangePassword) || expired;
  const signed = await keys.sign({ sub: user.sub, username: user.username, ...(mustChange ? { mustChangePassword: true } : {}) });
  // Best effort: when the member last signed in (no new version; a failure here does not refuse the sign-in).
  await ports.directory.updateMember({ ...member, lastSignInAt: now8.toISOString() }, member.version ?? 1, null).catch(() => {});
  return { ...signed, ...(mustChange ? { mustChangePassword: true as const } : {}) };
}
