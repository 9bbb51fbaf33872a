/**
 * S3 emulator (s3rver 3.7.1) in-process, with its two traps handled:
 *  - ListObjectsV2 answers 500 whenever a page is truncated: its continuation token is encrypted with single DES, which
 *    OpenSSL 3 only offers in the legacy provider. `installDesFallback()` maps exactly that cipher to 3DES-EDE3-CBC with the
 *    8-byte key repeated three times (K1=K2=K3), which is the same DES-CBC function, byte for byte, and needs no legacy provider.
 *  - The SDK's default flexible checksums upload stream bodies with aws-chunked framing, which s3rver stores verbatim (silent
 *    corruption): `localS3Client()` only computes/validates checksums when an operation requires them.
 * s3rver accepts any signature but only access key ids it knows; we register the dummy local key pair with it.
 * It does not enforce POST policies either: test the policies the app generates with unit tests.
 */
import { Buffer } from 'node:buffer';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

const require = createRequire(import.meta.url);

/** Dummy credentials for the local emulator only; hand each client a copy (the SDK writes onto the object). */
export const LOCAL_S3_CREDENTIALS: Readonly<{ accessKeyId: string; secretAccessKey: string }> = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
};
export const LOCAL_S3_REGION = 'us-east-1';

export interface StartS3LocalOptions {
  /** TCP port; 0 or undefined lets the OS pick a free one (no race: we listen on port 0 directly). */
  port?: number;
  /** Where objects are stored (created if missing). */
  directory: string;
  /** Bucket created (or kept, if it exists in `directory`) at start, with CORS for browser uploads. */
  bucket: string;
  /** Allowed CORS origin for the bucket (default '*': any origin, fine for a local emulator). */
  corsOrigin?: string;
}

export interface S3Local {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** An S3Client for the local emulator: path-style URLs, dummy credentials in code, checksums only when required. */
export function localS3Client(endpoint: string, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: LOCAL_S3_REGION,
    credentials: { ...LOCAL_S3_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    ...overrides,
  });
}

/** CORS rule letting a browser page on `origin` upload (presigned POST/PUT) and read objects. */
export function corsXml(origin = '*'): string {
  const escaped = origin.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return [
    '<CORSConfiguration>',
    '<CORSRule>',
    `<AllowedOrigin>${escaped}</AllowedOrigin>`,
    '<AllowedMethod>GET</AllowedMethod>',
    '<AllowedMethod>HEAD</AllowedMethod>',
    '<AllowedMethod>PUT</AllowedMethod>',
    '<AllowedMethod>POST</AllowedMethod>',
    '<AllowedHeader>*</AllowedHeader>',
    '<ExposeHeader>ETag</ExposeHeader>',
    '<MaxAgeSeconds>3000</MaxAgeSeconds>',
    '</CORSRule>',
    '</CORSConfiguration>',
  ].join('');
}

const DES_PATCHED = Symbol.for('risk-census.s3rver.des-fallback');
type CipherFactory = (algorithm: string, key: unknown, iv: unknown, options?: unknown) => unknown;

/**
 * Makes `crypto.createCipheriv/createDecipheriv('des', key8, iv8)` work under OpenSSL 3 for CommonJS callers (s3rver's
 * lib/controllers/bucket.js). Only single-DES calls that the runtime itself rejects are redirected; every other call, and DES
 * where a legacy provider is loaded, goes to the original function unchanged. Idempotent.
 */
export function installDesFallback(): void {
  const crypto = require('node:crypto') as Record<string | symbol, unknown>;
  if (crypto[DES_PATCHED]) return;
  const wrap = (name: 'createCipheriv' | 'createDecipheriv') => {
    const original = crypto[name] as CipherFactory;
    const wrapped: CipherFactory = function (this: unknown, algorithm, key, iv, options) {
      const isDes = typeof algorithm === 'string' && /^des(-cbc)?$/i.test(algorithm);
      if (!isDes) return Reflect.apply(original, this, arguments);
      try {
        return Reflect.apply(original, this, arguments);
      } catch (err) {
        const unsupported = (err as { code?: string }).code === 'ERR_OSSL_EVP_UNSUPPORTED';
        if (!unsupported || !(key instanceof Uint8Array) || key.length !== 8) throw err;
        const k = Buffer.from(key);
        // EDE with K1=K2=K3 is E_K(D_K(E_K(x))) = E_K(x): single DES, same bytes, in the default provider.
        return original.call(this, 'des-ede3-cbc', Buffer.concat([k, k, k]), iv, options);
      }
    };
    crypto[name] = wrapped;
  };
  wrap('createCipheriv');
  wrap('createDecipheriv');
  crypto[DES_PATCHED] = true;
}

/** Registers the dummy key pair with s3rver's (process-wide) account registry; it rejects unknown access key ids. */
function registerLocalAccessKey(): void {
  const account = require('s3rver/lib/models/account.js') as {
    DUMMY_ACCOUNT?: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
  };
  if (!account.DUMMY_ACCOUNT) {
    throw new Error('s3-local: s3rver internals changed (lib/models/account.js has no DUMMY_ACCOUNT); check the s3rver pin');
  }
  account.DUMMY_ACCOUNT.createKeyPair(LOCAL_S3_CREDENTIALS.accessKeyId, LOCAL_S3_CREDENTIALS.secretAccessKey);
}

export async function startS3Local(opts: StartS3LocalOptions): Promise<S3Local> {
  installDesFallback();
  registerLocalAccessKey();
  const directory = resolve(opts.directory);
  mkdirSync(directory, { recursive: true });
  const address = '127.0.0.1';

  const s3rver = new S3rver({
    address,
    port: opts.port ?? 0,
    directory,
    silent: true,
    configureBuckets: [{ name: opts.bucket, configs: [corsXml(opts.corsOrigin)] }],
  });
  await s3rver.configureBuckets();
  // Our own HTTP server instead of s3rver.run(): run() turns a listen error (EADDRINUSE) into an uncaught 'error' event
  // instead of a rejection, and listening on port 0 here avoids the pick-then-bind race.
  const httpServer = createServer(s3rver.callback());
  await new Promise<void>((resolvePromise, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? 0, address, () => {
      httpServer.off('error', reject);
      resolvePromise();
    });
  });
  const bound = httpServer.address();
  if (bound === null || typeof bound === 'string') throw new Error('s3-local: could not read the bound port');
  const { port } = bound;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolvePromise, reject) => {
      httpServer.close((err) => (err ? reject(err) : resolvePromise()));
      httpServer.closeAllConnections(); // do not wait for idle keep-alive sockets of SDK clients
    });
    return stopping;
  };
  return { endpoint: `http://${address}:${port}`, port, stop };
}
