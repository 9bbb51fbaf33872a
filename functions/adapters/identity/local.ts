/**
 * Local-mode identity: passwords hashed with scrypt, short-lived ES256 JWTs signed with a key pair kept under DATA_DIR,
 * verified with a fixed algorithm list. On AWS, Cognito issues the tokens and API Gateway verifies them instead.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

const ALG = 'ES256';
export const ISSUER = 'risk-census-local';
export const AUDIENCE = 'risk-census';
export const TOKEN_TTL_S = 60 * 60;

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
  sign(claims: { sub: string; username: string }): Promise<{ token: string; expiresAt: string }>;
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
    async sign({ sub, username }) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ username, token_use: 'access' })
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
