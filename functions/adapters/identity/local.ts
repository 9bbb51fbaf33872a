/**
 * Local-mode identity: passwords hashed with scrypt, short-lived ES256 JWTs signed with a key pair kept under DATA_DIR,
 * verified with a fixed algorithm list. On AWS, Cognito issues the tokens and API Gateway verifies them instead.
 */
import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { DirectoryStore, IdentityProvider, IdentityUser, LocalLogin, Member } from '#app/ports';
import { generateTemporaryPassword } from '#domain/password-policy';

const ALG = 'ES256';
export const ISSUER = 'risk-census-local';
export const AUDIENCE = 'risk-census';
/** Twelve hours: a field day, as Cognito's access tokens on AWS (revocation is checked on every request, not by expiry). */
export const TOKEN_TTL_S = 12 * 60 * 60;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

const N = 16384;
const R = 8;
const P = 1;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, 32, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

export interface LocalKeys {
  /** `mustChangePassword`: the token may only be used to choose a new password (claim `pwd_change`). */
  sign(claims: { sub: string; username: string; mustChangePassword?: boolean }): Promise<{ token: string; expiresAt: string }>;
  verify(token: string): Promise<JWTPayload>;
}

/** Load the signing key pair from `file`, creating it on first use. */
export async function localKeys(file: string): Promise<LocalKeys> {
  let jwks: { privateJwk: JWK; publicJwk: JWK };
  if (existsSync(file)) {
    jwks = JSON.parse(readFileSync(file, 'utf8'));
  } else {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    jwks = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(jwks), { mode: 0o600 });
  }
  const privateKey = await importJWK(jwks.privateJwk, ALG);
  const publicKey = await importJWK(jwks.publicJwk, ALG);
  return {
    async sign({ sub, username, mustChangePassword }) {
      const ms = Date.now();
      const now = Math.floor(ms / 1000);
      // iat_ms: when the token was issued to the millisecond, compared with the member's sessionsRevokedAt; sid: the
      // session, so a password change can end every session but the one it was made in.
      const token = await new SignJWT({ username, token_use: 'access', iat_ms: ms, sid: randomUUID(), ...(mustChangePassword ? { pwd_change: true } : {}) })
        .setProtectedHeader({ alg: ALG, typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + TOKEN_TTL_S)
        .sign(privateKey);
      return { token, expiresAt: new Date((now + TOKEN_TTL_S) * 1000).toISOString() };
    },
    async verify(token) {
      // maxTokenAge makes `iat` required and refuses one in the future (jose checks nbf and exp, but iat only with it).
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: AUDIENCE,
        clockTolerance: 5,
        maxTokenAge: TOKEN_TTL_S,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    },
  };
}

/** How long a temporary password handed out by the office can be used (as Cognito's temporary passwords: 3 days). */
export const TEMPORARY_PASSWORD_DAYS = 3;

/**
 * The local identity provider: sign-in records live in the directory beside the members and are written in the same
 * transaction (createMember / updateMember carry the `login`), so there is no half-finished state between two systems.
 * Disabling needs nothing here: every request and every login reads the member's status.
 */
export class LocalIdentity implements IdentityProvider {
  readonly kind = 'local' as const;

  constructor(
    private readonly directory: Pick<DirectoryStore, 'localUsers'>,
    private readonly now: () => Date = () => new Date(),
    private readonly newId: () => string = () => randomUUID(),
  ) {}

  private async temporaryLogin(username: string, sub: string): Promise<{ temporaryPassword: string; login: LocalLogin }> {
    const temporaryPassword = generateTemporaryPassword();
    const until = new Date(this.now().getTime() + TEMPORARY_PASSWORD_DAYS * 86_400_000).toISOString();
    return { temporaryPassword, login: { username, sub, passwordHash: await hashPassword(temporaryPassword), mustChangePassword: true, temporaryUntil: until } };
  }

  async createUser(u: { username: string }): Promise<{ sub: string; temporaryPassword: string; login: LocalLogin }> {
    const sub = this.newId();
    return { sub, ...(await this.temporaryLogin(u.username, sub)) };
  }

  async resetPassword(m: Member): Promise<{ temporaryPassword: string; login: LocalLogin }> {
    return this.temporaryLogin(m.username, m.userId);
  }

  async disableUser(): Promise<void> {}

  async enableUser(): Promise<void> {}

  async users(): Promise<IdentityUser[]> {
    return (await this.directory.localUsers()).map((l) => ({ sub: l.sub, username: l.username, enabled: true }));
  }
}
