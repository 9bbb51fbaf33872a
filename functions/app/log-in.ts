/**
 * log-in — POST /api/auth/login { username, password } (local mode only).
 * Verifies the scrypt hash and issues a short-lived ES256 token. Repeated failures for one username are slowed
 * down (429) so passwords cannot be guessed quickly; a wrong username and a wrong password look the same (401).
 */
import { DomainError } from '#domain/errors';
import { verifyPassword, type LocalKeys } from '#adapters/identity/local';
import type { Ports } from './ports';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 10;
const failures = new Map<string, { count: number; since: number }>();

export async function logIn(ports: Ports, keys: LocalKeys, body: unknown): Promise<{ token: string; expiresAt: string }> {
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
  return keys.sign({ sub: user.sub, username: user.username });
}
