/**
 * Files in S3: presigned POST uploads (size range, exact content type, exact key), existence checks, presigned GETs.
 * The emulator used locally ignores POST policies, so `uploadConditions` is what the unit tests check.
 */
import { pipeline, Transform, type Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FileStore, UploadGrant } from '#app/ports';

export const UPLOAD_EXPIRES_S = 15 * 60;
export const DOWNLOAD_EXPIRES_S = 5 * 60;

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

export class S3FileStore implements FileStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

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
   * Multipart upload of a stream of unknown length: lib-storage buffers one 5 MiB part at a time (two in flight), so
   * memory does not grow with the object; a body under one part becomes a single PutObject.
   */
  async putStream(key: string, body: Readable, contentType: string): Promise<{ bytes: number }> {
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    // An error in the source destroys `counted`, which fails the upload (and aborts its parts).
    pipeline(body, counted, () => {});
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: counted, ContentType: contentType },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
    return { bytes };
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
