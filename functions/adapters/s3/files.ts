/**
 * Files in S3: presigned POST uploads (size range, exact content type, exact key), existence checks, presigned GETs,
 * and streamed writes of generated files (exports, import reports) spooled through a temporary file.
 * The emulator used locally ignores POST policies, so `uploadConditions` is what the unit tests check.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FileStore, UploadGrant } from '#app/ports';

export const UPLOAD_EXPIRES_S = 15 * 60;
export const DOWNLOAD_EXPIRES_S = 5 * 60;
/** The largest object one PutObject can store (S3's limit); `putStream` refuses a larger body. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** PutObject attempts for a spooled file; each attempt reads the file afresh (the SDK cannot retry a stream body). */
const PUT_ATTEMPTS = 3;

export function s3Client(env: Record<string, string | undefined> = process.env): S3Client {
  const endpoint = env.S3_ENDPOINT;
  return new S3Client({
    ...(endpoint
      ? {
          endpoint,
          forcePathStyle: true,
          region: env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
          // The emulator stores aws-chunked framing verbatim when flexible checksums are on.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
}

/** The POST policy conditions for one upload: exactly this key, exactly this content type, 1 byte to maxSize. */
export function uploadConditions(key: string, contentType: string, maxSize: number) {
  return [
    ['content-length-range', 1, maxSize],
    ['eq', '$Content-Type', contentType],
    ['eq', '$key', key],
  ] as [string, string | number, string | number][];
}

export interface S3FileStoreOptions {
  /** Where `putStream` spools bodies (default: os.tmpdir(), which on Lambda is the function's ephemeral storage). */
  spoolDir?: string;
  /** The largest body `putStream` accepts (default and at most MAX_PUT_BYTES). */
  maxPutBytes?: number;
  /** Wait before PutObject attempt n (1-based) of a spooled file; default 200 ms · 4^(n-1). */
  retryDelayMs?: (attempt: number) => number;
}

/** An error worth another attempt: no HTTP answer at all (connection refused or reset, timeout), 5xx, throttling. */
function transient(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (e as Error).name;
  if (status === undefined) return true;
  return status >= 500 || status === 429 || name === 'SlowDown' || name === 'RequestTimeout';
}

export class S3FileStore implements FileStore {
  private readonly spoolDir: string;
  private readonly maxPutBytes: number;
  private readonly retryDelayMs: (attempt: number) => number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    opts: S3FileStoreOptions = {},
  ) {
    this.spoolDir = opts.spoolDir ?? tmpdir();
    this.maxPutBytes = Math.min(opts.maxPutBytes ?? MAX_PUT_BYTES, MAX_PUT_BYTES);
    this.retryDelayMs = opts.retryDelayMs ?? ((n) => 200 * 4 ** (n - 1));
  }

  async presignUpload(key: string, contentType: string, maxSize: number, meta: Record<string, string>): Promise<UploadGrant> {
    const metaFields = Object.fromEntries(Object.entries(meta).map(([k, v]) => [`x-amz-meta-${k}`, encodeURIComponent(v)]));
    const { url, fields } = await createPresignedPost(this.s3, {
      Bucket: this.bucket,
      Key: key,
      Conditions: [
        ...(uploadConditions(key, contentType, maxSize) as never[]),
        ...Object.entries(metaFields).map(([k, v]) => ({ [k]: v }) as never),
      ],
      Fields: { 'Content-Type': contentType, ...metaFields },
      Expires: UPLOAD_EXPIRES_S,
    });
    return { url, fields };
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === 'NotFound' || (e as Error).name === 'NoSuchKey') return false;
      throw e;
    }
  }

  /**
   * A body of unknown length, in two steps: spool it to a temporary file in `spoolDir` (the source's back-pressure is
   * the disk's), then store the file with one PutObject of known length that reads it as a stream. Memory holds a few
   * 64 KiB chunks whatever the size; disk holds the whole body once (on Lambda: size the ephemeral storage for the
   * largest export). Why not a multipart upload of the stream: lib-storage keeps up to queueSize + 1 parts of 5 MiB in
   * memory (export memory grew with the file, up to ~15 MiB), and a stream body cannot be retried — a file can be re-read.
   *
   * Contract: resolves once the object exists, with its size; a failing source, a body over `maxPutBytes` (5 GiB, S3's
   * single-PUT limit: refused while spooling rather than falling back to multipart, since no export comes near it) or
   * a storage error after PUT_ATTEMPTS attempts rejects and leaves no object. The temporary file is removed in every case.
   */
  async putStream(key: string, body: Readable, contentType: string): Promise<{ bytes: number }> {
    const file = join(this.spoolDir, `risk-census-put-${randomUUID()}`);
    const max = this.maxPutBytes;
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > max) done(new Error(`${key}: the file is larger than ${max} bytes, the most one upload can store`));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(body, counted, createWriteStream(file, { flags: 'wx' }));
      for (let attempt = 1; ; attempt++) {
        const reading = createReadStream(file);
        try {
          await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: reading, ContentLength: bytes, ContentType: contentType }));
          return { bytes };
        } catch (e) {
          if (attempt >= PUT_ATTEMPTS || !transient(e)) throw e;
          await new Promise((r) => setTimeout(r, this.retryDelayMs(attempt)));
        } finally {
          reading.destroy();
        }
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  async getBytes(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (r.ContentLength !== undefined && r.ContentLength > maxBytes) {
        (r.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new Error(`object ${key} is larger than ${maxBytes} bytes`);
      }
      const bytes = await r.Body!.transformToByteArray();
      if (bytes.length > maxBytes) throw new Error(`object ${key} is larger than ${maxBytes} bytes`);
      return bytes;
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === 'NoSuchKey' || (e as Error).name === 'NotFound') return undefined;
      throw e;
    }
  }

  async presignDownload(key: string, fileName?: string): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(fileName ? { ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}` } : {}),
      }),
      { expiresIn: DOWNLOAD_EXPIRES_S },
    );
  }
}
