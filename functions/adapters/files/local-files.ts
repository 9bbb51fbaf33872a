/**
 * Files in a directory: the embedded `FileStore` that `npm start` uses instead of S3. It mirrors the S3 adapter
 * (functions/adapters/s3/files.ts) so clients cannot tell the two apart:
 *  - uploads go browser → a local endpoint (infra/local/file-endpoint.ts) with a signed POST policy carrying the same
 *    conditions S3 enforces (1 byte to maxSize, exact content type, exact key, exact metadata, 15 minutes), judged by
 *    the same evaluator the conformance suite judges the S3 policy with (post-policy.ts);
 *  - downloads are short-lived signed links (5 minutes) served by that endpoint;
 *  - generated files are streamed in without growing memory.
 *
 * On disk: key `a/b/c` is `<root>/a/b/c`, beside its sidecar `<root>/a/b/c.meta.json` (content type, metadata, size,
 * sha-256). Every write is atomic and durable: a temporary file in the same directory (`.<name>.tmp-<random>`), fsync,
 * rename over the final name, fsync the directory. The sidecar is committed before the data file is renamed into
 * place, so a file that exists always has its metadata; a refused or failed write leaves no object and no temp file.
 *
 * Signatures are HMAC-SHA256 under one secret (`loadFileSecret`): over the base64 policy text for uploads, over
 * `key|exp|fileName` for downloads. The two messages cannot be confused: base64 never contains `|`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileStore, UploadGrant } from '#app/ports';
import { evaluatePolicy, parsePolicy, type PolicyCondition, type PolicyRefusal, type PostPolicy } from './post-policy';

/** The same lifetimes as the S3 adapter's (UPLOAD_EXPIRES_S, DOWNLOAD_EXPIRES_S in s3/files.ts). */
export const UPLOAD_EXPIRES_S = 15 * 60;
export const DOWNLOAD_EXPIRES_S = 5 * 60;
/** The largest body `putStream` accepts: S3's single-PUT limit, so both adapters refuse the same bodies. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
export const SECRET_BYTES = 32;

const META_SUFFIX = '.meta.json';
const KEY_CHARS = /^[A-Za-z0-9._/-]+$/;
/** S3's key limit; and a segment short enough that `.<segment>.meta.json.tmp-<hex>` stays a legal file name. */
const MAX_KEY_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 200;

/** What is stored beside each file. */
export interface FileMeta {
  contentType: string;
  /** `x-amz-meta-*` fields without the prefix, names in lower case, values as sent (URI-encoded), as S3 keeps them. */
  meta: Record<string, string>;
  size: number;
  sha256: string;
}

export interface LocalFileStoreOptions {
  /** The directory files live in (created when needed). */
  root: string;
  /** The HMAC key of upload policies and download links (see `loadFileSecret`). */
  secret: Buffer;
  /** Where browsers POST uploads (default `/files/upload`); relative: the web app and the API share one origin. */
  uploadUrl?: string;
  /** The prefix of download links (default `/files/`). */
  downloadBase?: string;
  now?: () => Date;
}

export type UploadResult = { ok: true; key: string } | { ok: false; status: 400 | 403; code: string; detail: string };

export type DownloadCheck = { ok: true; file: string; contentType: string; fileName?: string } | { ok: false; status: 403 | 404 };

/** Why a key is not acceptable, or undefined when it is. */
function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'it is empty';
  if (key.length > MAX_KEY_LENGTH) return `it is longer than ${MAX_KEY_LENGTH} characters`;
  if (!KEY_CHARS.test(key)) return 'it has characters outside A-Z a-z 0-9 . _ / -';
  if (key.startsWith('/')) return 'it is absolute';
  if (key.includes('..')) return 'it contains ..';
  for (const segment of key.split('/')) {
    if (segment === '') return 'it has an empty segment';
    // Dot-names are ours (temporary files) and would hide the object from a listing anyway.
    if (segment.startsWith('.')) return 'a segment starts with a dot';
    if (segment.length > MAX_SEGMENT_LENGTH) return `a segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
  }
  if (key.endsWith(META_SUFFIX)) return `it ends with ${META_SUFFIX}, the name of a metadata sidecar`;
  return undefined;
}

/** Throws unless `key` is a safe relative key (see keyProblem). */
export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new Error(`invalid file key ${JSON.stringify(key)}: ${problem}`);
}

const tempName = (dir: string, name: string) => join(dir, `.${name}.tmp-${randomBytes(8).toString('hex')}`);

const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');

/** Make a rename in `dir` durable. Platforms that cannot open a directory for fsync (Windows) skip it. */
async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch (e) {
    if (['EISDIR', 'EPERM', 'EACCES'].includes((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!['EINVAL', 'EPERM', 'EBADF'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await fh.close();
  }
}

/** Write bytes to a new temporary file in `dir` and fsync it; returns its path. Removes it on failure. */
async function writeTemp(dir: string, name: string, data: Uint8Array | string): Promise<string> {
  const tmp = tempName(dir, name);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  return tmp;
}

/** Write all of `chunk` at the handle's position (a write may be partial). */
async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) offset += (await fh.write(chunk, offset, chunk.length - offset)).bytesWritten;
}

const hmac = (secret: Buffer, message: string) => createHmac('sha256', secret).update(message).digest();

/** Does `given` (base64url text) equal `expected`? Only the canonical spelling counts, compared in constant time. */
function signatureMatches(given: string | undefined | null, expected: Buffer): boolean {
  if (typeof given !== 'string') return false;
  const bytes = Buffer.from(given, 'base64url');
  return bytes.length === expected.length && bytes.toString('base64url') === given && timingSafeEqual(bytes, expected);
}

/** A form field by name, case-insensitively (S3 field names are). */
function field(fields: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(fields)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** The value an `eq` (or object) condition of the policy fixes for a field, if any. */
function signedValue(policy: PostPolicy, lowerName: string): string | undefined {
  for (const c of policy.conditions as unknown[]) {
    if (Array.isArray(c)) {
      if (String(c[0]).toLowerCase() === 'eq' && typeof c[1] === 'string' && c[1].toLowerCase() === `$${lowerName}` && typeof c[2] === 'string') return c[2];
    } else if (c && typeof c === 'object') {
      for (const [k, v] of Object.entries(c)) if (k.toLowerCase() === lowerName && typeof v === 'string') return v;
    }
  }
  return undefined;
}

const REFUSALS: Record<PolicyRefusal, { status: 400 | 403; code: string }> = {
  malformed: { status: 400, code: 'upload.malformed' },
  expired: { status: 403, code: 'upload.expired' },
  size: { status: 403, code: 'upload.size' },
  'content-type': { status: 403, code: 'upload.content-type' },
  key: { status: 403, code: 'upload.key' },
  field: { status: 403, code: 'upload.field' },
};

export class LocalFileStore implements FileStore {
  private readonly root: string;
  private readonly secret: Buffer;
  private readonly uploadUrl: string;
  private readonly downloadBase: string;
  private readonly now: () => Date;
  /** Commits per key, one at a time, so two writes of one key cannot pair one's data with the other's sidecar. */
  private readonly commits = new Map<string, Promise<void>>();

  constructor(opts: LocalFileStoreOptions) {
    if (!Buffer.isBuffer(opts.secret) || opts.secret.length < 16) throw new Error('the file store secret must be at least 16 bytes');
    this.root = resolve(opts.root);
    this.secret = opts.secret;
    this.uploadUrl = opts.uploadUrl ?? '/files/upload';
    this.downloadBase = opts.downloadBase ?? '/files/';
    this.now = opts.now ?? (() => new Date());
  }

  /** The directory, file name and path of a key; throws for an unsafe key. */
  private locate(key: string): { dir: string; name: string; file: string } {
    assertValidKey(key);
    const file = join(this.root, ...key.split('/'));
    // Defence in depth: the key rules already exclude every way out of root.
    const rel = relative(this.root, file);
    if (rel.startsWith('..') || rel.includes(`..${sep}`) || resolve(this.root, rel) !== file) throw new Error(`invalid file key ${JSON.stringify(key)}`);
    return { dir: dirname(file), name: basename(file), file };
  }

  /** Create `dir` under root, making the new directory entries durable. */
  private async ensureDir(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    // Every directory from the parent of the first one created down to dir's parent gained an entry.
    for (let d = dir; ; d = dirname(d)) {
      const parent = dirname(d);
      await fsyncDir(parent);
      if (d === first || parent === d) break;
    }
  }

  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.commits.get(key) ?? Promise.resolve();
    const run = before.then(fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.commits.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.commits.get(key) === tail) this.commits.delete(key);
    }
  }

  /**
   * Put a written, fsynced temporary data file in place as `key`: sidecar first (temp, fsync, rename, fsync dir), then
   * the data file (rename, fsync dir). On failure the temporary files are removed, and so is a sidecar left without
   * its data file.
   */
  private async commit(key: string, dataTmp: string, meta: FileMeta): Promise<void> {
    const { dir, name, file } = this.locate(key);
    await this.exclusive(key, async () => {
      const sidecar = file + META_SUFFIX;
      let metaTmp: string | undefined;
      try {
        metaTmp = await writeTemp(dir, name + META_SUFFIX, JSON.stringify(meta));
        await rename(metaTmp, sidecar);
        metaTmp = undefined;
        await fsyncDir(dir);
        await rename(dataTmp, file);
        await fsyncDir(dir);
      } catch (e) {
        if (metaTmp) await rm(metaTmp, { force: true });
        await rm(dataTmp, { force: true });
        if (!(await this.isFile(file))) await rm(sidecar, { force: true });
        throw e;
      }
    });
  }

  private async isFile(file: string): Promise<boolean> {
    try {
      return (await stat(file)).isFile();
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async presignUpload(key: string, contentType: string, maxSize: number, meta: Record<string, string>): Promise<UploadGrant> {
    assertValidKey(key);
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new Error(`maxSize must be a positive whole number of bytes, not ${maxSize}`);
    const metaFields = Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-amz-meta-${k}`, encodeURIComponent(v)]));
    // The conditions of uploadConditions (s3/files.ts) plus one exact match per metadata field, as the S3 adapter signs.
    const conditions: PolicyCondition[] = [
      ['content-length-range', 1, maxSize],
      ['eq', '$Content-Type', contentType],
      ['eq', '$key', key],
      ...Object.entries(metaFields).map(([k, v]) => ({ [k]: v })),
    ];
    const policy: PostPolicy = { expiration: new Date(this.now().getTime() + UPLOAD_EXPIRES_S * 1000).toISOString(), conditions };
    const encoded = Buffer.from(JSON.stringify(policy), 'utf8').toString('base64');
    return {
      url: this.uploadUrl,
      fields: { key, 'Content-Type': contentType, ...metaFields, policy: encoded, signature: hmac(this.secret, encoded).toString('base64url') },
    };
  }

  /**
   * Judge and store a browser's upload (what the endpoint calls with the parsed form). Refusals: 403 for an unsigned or
   * tampered form and for anything the policy does not allow (expired, size, content type, key, extra field); 400
   * for a form or policy that cannot be read. The stored content type is the signed `Content-Type` field, not the
   * file part's own type (S3 does the same). A refusal touches nothing on disk; an acceptance resolves once the file
   * and its sidecar are durable.
   */
  async acceptUpload(form: { fields: Record<string, string>; file: { bytes: Uint8Array; contentType?: string } }): Promise<UploadResult> {
    const { fields, file } = form;
    const encoded = field(fields, 'policy');
    if (encoded === undefined || !signatureMatches(field(fields, 'signature'), hmac(this.secret, encoded))) {
      return { ok: false, status: 403, code: 'upload.bad-signature', detail: 'The form does not carry a policy signed by this server' };
    }
    let policy: PostPolicy;
    try {
      policy = parsePolicy(Buffer.from(encoded, 'base64').toString('utf8'));
    } catch {
      return { ok: false, status: 400, code: 'upload.malformed', detail: 'The signed policy cannot be read' };
    }
    const verdict = evaluatePolicy(policy, { fields, fileSize: file.bytes.byteLength }, this.now());
    if (!verdict.ok) return { ok: false, ...REFUSALS[verdict.reason], detail: verdict.detail };

    // Our policies always fix both; a signed policy that does not is refused rather than trusted.
    const key = field(fields, 'key')!;
    const contentType = field(fields, 'content-type');
    if (signedValue(policy, 'key') !== key || contentType === undefined || signedValue(policy, 'content-type') !== contentType) {
      return { ok: false, status: 403, code: 'upload.field', detail: 'The policy must fix the key and the content type' };
    }
    if (keyProblem(key)) return { ok: false, status: 400, code: 'upload.malformed', detail: `The key is not acceptable: ${keyProblem(key)}` };

    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (k.toLowerCase().startsWith('x-amz-meta-')) meta[k.toLowerCase().slice('x-amz-meta-'.length)] = v;
    const { dir, name } = this.locate(key);
    await this.ensureDir(dir);
    const tmp = await writeTemp(dir, name, file.bytes);
    await this.commit(key, tmp, { contentType, meta, size: file.bytes.byteLength, sha256: createHash('sha256').update(file.bytes).digest('hex') });
    return { ok: true, key };
  }

  async exists(key: string): Promise<boolean> {
    return this.isFile(this.locate(key).file);
  }

  async getBytes(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    const { file } = this.locate(key);
    let fh;
    try {
      fh = await open(file, 'r');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return undefined;
      // Files are replaced by rename, never rewritten in place, so the open file keeps this size.
      if (st.size > maxBytes) throw new Error(`object ${key} is larger than ${maxBytes} bytes`);
      const out = new Uint8Array(st.size);
      let offset = 0;
      while (offset < st.size) {
        const { bytesRead } = await fh.read(out, offset, st.size - offset, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return offset === st.size ? out : out.subarray(0, offset);
    } finally {
      await fh.close();
    }
  }

  /**
   * Stream a body of unknown length into `key`: a temporary file beside the final one, counted and hashed on the way
   * (memory holds a chunk or two), fsync, then committed with its sidecar. A failing source, a body over
   * MAX_PUT_BYTES or a disk error rejects and leaves no object and no temporary file.
   */
  async putStream(key: string, body: Readable, contentType: string): Promise<{ bytes: number }> {
    const { dir, name } = this.locate(key);
    await this.ensureDir(dir);
    const tmp = tempName(dir, name);
    const hash = createHash('sha256');
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > MAX_PUT_BYTES) return done(new Error(`${key}: the file is larger than ${MAX_PUT_BYTES} bytes, the most one upload can store`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const fh = await open(tmp, 'wx', 0o644);
    let closed = false;
    try {
      // One chunk in flight at a time: the source's back-pressure is the disk's.
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          writeAll(fh, chunk).then(() => done(), done);
        },
      });
      await pipeline(body, counted, sink);
      await fh.sync();
      closed = true;
      await fh.close();
    } catch (e) {
      if (!closed) await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
    await this.commit(key, tmp, { contentType, meta: {}, size: bytes, sha256: hash.digest('hex') });
    return { bytes };
  }

  private downloadSignature(key: string, exp: string, fileName: string): Buffer {
    return hmac(this.secret, `${key}|${exp}|${fileName}`);
  }

  async presignDownload(key: string, fileName?: string): Promise<string> {
    assertValidKey(key);
    const exp = String(Math.floor(this.now().getTime() / 1000) + DOWNLOAD_EXPIRES_S);
    const sig = this.downloadSignature(key, exp, fileName ?? '').toString('base64url');
    // Keys are URL-safe by construction; the file name is the only part that needs encoding.
    return `${this.downloadBase}${key}?exp=${exp}&sig=${sig}${fileName ? `&name=${encodeURIComponent(fileName)}` : ''}`;
  }

  /**
   * Check a download link: a key we could have signed, a valid signature over key, expiry and file name, not expired
   * (403 otherwise), and a file that exists (404 otherwise). Answers with the file's path and stored content type.
   */
  verifyDownload(key: string, query: URLSearchParams): DownloadCheck {
    if (keyProblem(key)) return { ok: false, status: 403 };
    const exp = query.get('exp');
    const fileName = query.get('name') || undefined;
    if (!exp || !/^\d{1,12}$/.test(exp)) return { ok: false, status: 403 };
    if (!signatureMatches(query.get('sig'), this.downloadSignature(key, exp, fileName ?? ''))) return { ok: false, status: 403 };
    if (this.now().getTime() >= Number(exp) * 1000) return { ok: false, status: 403 };
    const { file } = this.locate(key);
    try {
      if (!statSync(file).isFile()) return { ok: false, status: 404 };
    } catch (e) {
      if (isMissing(e)) return { ok: false, status: 404 };
      throw e;
    }
    let contentType = 'application/octet-stream';
    try {
      const meta = JSON.parse(readFileSync(file + META_SUFFIX, 'utf8')) as Partial<FileMeta>;
      if (typeof meta.contentType === 'string') contentType = meta.contentType;
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    return { ok: true, file, contentType, ...(fileName ? { fileName } : {}) };
  }
}

/**
 * The file store's secret: read from `file` (it must hold exactly SECRET_BYTES bytes), or, on first use, created with
 * random bytes and mode 0600. Creation is atomic and never replaces a secret another process created meanwhile
 * (temporary file, fsync, hard link to the final name, which fails if it exists), since replacing it would void every
 * link the other process handed out.
 */
export function loadFileSecret(file: string): Buffer {
  const read = () => {
    const secret = readFileSync(file);
    if (secret.length !== SECRET_BYTES) throw new Error(`${file} holds ${secret.length} bytes, not a ${SECRET_BYTES}-byte file secret`);
    return secret;
  };
  try {
    return read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(file)}.tmp-${randomBytes(8).toString('hex')}`);
  const secret = randomBytes(SECRET_BYTES);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, secret);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return read();
      throw e;
    }
    try {
      const dfd = openSync(dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Platforms that cannot fsync a directory: the link is still in place.
    }
    return secret;
  } finally {
    rmSync(tmp, { force: true });
  }
}
