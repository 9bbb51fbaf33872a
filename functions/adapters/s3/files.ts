/**
 * Files in S3: presigned POST uploads (size range, exact content type, exact key), existence checks, presigned GETs.
 * The emulator used locally ignores POST policies, so `uploadConditions` is what the unit tests check.
 */
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
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
