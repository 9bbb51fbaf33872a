/**
 * HTTPS for `npm start` on an office network: the certificate and key from TLS_CERT / TLS_KEY (PEM files; TLS_CA, a
 * chain file, is appended to the certificate), checked before anything starts so a wrong file is one clear sentence,
 * never a stack trace from the TLS layer. README, "Running it on the office network (HTTPS)".
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface TlsOptions {
  /** PEM: the server certificate, then any intermediate certificates. */
  cert: string | Buffer;
  /** PEM: the certificate's private key (unencrypted). */
  key: string | Buffer;
}

/** A configuration mistake worth one sentence to the operator (start.ts prints the message, no stack). */
export class TlsConfigError extends Error {
  override name = 'TlsConfigError';
}

export interface TlsInfo {
  subject: string;
  /** DNS names and IP addresses of the certificate (subjectAltName; the CN when there is none). */
  names: string[];
  validFrom: Date;
  validTo: Date;
  issuer: string;
  selfSigned: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);
export const isLoopback = (host: string) => LOOPBACK.has(host.toLowerCase());

function readPem(variable: string, path: string): Buffer {
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
    throw new TlsConfigError(`${variable}=${path} cannot be read (${why}).`);
  }
  if (!body.toString('latin1').includes('-----BEGIN ')) throw new TlsConfigError(`${variable}=${path} is not a PEM file (expected "-----BEGIN …" text; convert DER or .pfx files with openssl first).`);
  return body;
}

/**
 * TLS from the environment: undefined when neither TLS_CERT nor TLS_KEY is set; otherwise both files read (and TLS_CA
 * appended to the certificate) and checked by `checkTls`. Throws TlsConfigError with the variable and file at fault.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): (TlsOptions & { info: TlsInfo }) | undefined {
  const certPath = env.TLS_CERT?.trim();
  const keyPath = env.TLS_KEY?.trim();
  const caPath = env.TLS_CA?.trim();
  if (!certPath && !keyPath) {
    if (caPath) throw new TlsConfigError('TLS_CA is set but TLS_CERT and TLS_KEY are not: HTTPS needs the certificate and its key (TLS_CA only adds the chain).');
    return undefined;
  }
  if (!certPath) throw new TlsConfigError('TLS_KEY is set but TLS_CERT is not: HTTPS needs both the certificate (TLS_CERT) and its key (TLS_KEY).');
  if (!keyPath) throw new TlsConfigError('TLS_CERT is set but TLS_KEY is not: HTTPS needs both the certificate (TLS_CERT) and its key (TLS_KEY).');
  let cert = readPem('TLS_CERT', certPath);
  const key = readPem('TLS_KEY', keyPath);
  if (caPath) {
    const ca = readPem('TLS_CA', caPath);
    try {
      new X509Certificate(ca);
    } catch {
      throw new TlsConfigError(`TLS_CA=${caPath} holds no readable certificate.`);
    }
    cert = Buffer.concat([cert, cert.at(-1) === 0x0a ? Buffer.alloc(0) : Buffer.from('\n'), ca]);
  }
  const tls = { cert, key };
  return { ...tls, info: checkTls(tls, { cert: `TLS_CERT=${certPath}`, key: `TLS_KEY=${keyPath}` }) };
}

/** Certificate and key readable and belonging together (the names say where they came from in the messages). */
export function checkTls(tls: TlsOptions, from: { cert: string; key: string } = { cert: 'the TLS certificate', key: 'the TLS key' }): TlsInfo {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(tls.cert);
  } catch {
    throw new TlsConfigError(`${from.cert} holds no readable certificate (expected "-----BEGIN CERTIFICATE-----").`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(tls.key);
  } catch (e) {
    const msg = (e as Error).message;
    const pem = Buffer.isBuffer(tls.key) ? tls.key.toString('latin1') : tls.key;
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem) || /passphrase|interrupted or cancelled/i.test(msg);
    if (encrypted) throw new TlsConfigError(`${from.key} is encrypted; give the server an unencrypted key (openssl pkey -in key.pem -out server-key.pem) and protect the file instead (chmod 600).`);
    throw new TlsConfigError(`${from.key} holds no readable private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN EC/RSA PRIVATE KEY-----").`);
  }
  if (!x509.checkPrivateKey(key)) throw new TlsConfigError(`${from.key} does not belong to the certificate in ${from.cert} (the key and the certificate do not match).`);
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (e) {
    throw new TlsConfigError(`${from.cert} and ${from.key} cannot be used for TLS (${(e as Error).message}).`);
  }
  const names = (x509.subjectAltName ?? '')
    .split(/,\s*/)
    .map((s) => /^(?:DNS|IP Address):(.+)$/.exec(s.trim())?.[1])
    .filter((s): s is string => !!s);
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
  return {
    subject: x509.subject.replace(/\n/g, ', '),
    names: names.length ? names : cn ? [cn] : [],
    validFrom: new Date(x509.validFrom),
    validTo: new Date(x509.validTo),
    issuer: x509.issuer.replace(/\n/g, ', '),
    selfSigned: x509.issuer === x509.subject,
  };
}

/** Warnings about a certificate that works but that browsers will refuse or soon refuse (printed at start-up). */
export function certificateWarnings(info: TlsInfo, now = new Date()): string[] {
  const out: string[] = [];
  const day = 86_400_000;
  if (info.validTo.getTime() <= now.getTime()) {
    out.push(`证书已于 ${info.validTo.toISOString().slice(0, 10)} 过期，浏览器将拒绝连接。 The certificate expired on ${info.validTo.toISOString().slice(0, 10)}: browsers will refuse the connection.`);
  } else if (info.validFrom.getTime() > now.getTime()) {
    out.push(`证书自 ${info.validFrom.toISOString()} 起才生效（请检查服务器时钟）。 The certificate is not valid before ${info.validFrom.toISOString()} (check the server's clock).`);
  } else if (info.validTo.getTime() - now.getTime() < 30 * day) {
    const days = Math.floor((info.validTo.getTime() - now.getTime()) / day);
    out.push(`证书将在 ${days} 天后过期（${info.validTo.toISOString().slice(0, 10)}），请及时更换。 The certificate expires in ${days} day${days === 1 ? '' : 's'} (${info.validTo.toISOString().slice(0, 10)}): renew it.`);
  }
  return out;
}
