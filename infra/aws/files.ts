/**
 * Files: the attachments/exports bucket and the bucket that receives every access log (S3 server access logs of the
 * other buckets, CloudFront standard logs).
 *
 * Lifecycle, deliberately narrow: S3 lifecycle rules can only select by prefix, tag, size and age — they cannot know
 * whether a submission still references `attachments/<submissionId>/<uuid>`, so an age rule on `attachments/` would
 * delete photos of submitted census records. Only what is safe by construction expires: incomplete multipart uploads
 * (7 days), the files of background jobs under `exports/` and `imports/` (a day after their job records expire, see
 * functions/app/jobs.ts JOB_TTL_S) and superseded object versions (90 days; versioning protects attachments against an
 * accidental overwrite or delete). Orphaned uploads (a presigned POST whose submission
 * was never saved) are left in place; removing them needs tagging on reference (see the README, "Design notes and limits").
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { JOB_TTL_S } from '../../functions/app/jobs';
import { acknowledge } from './nag';

/** Job files (exports, import uploads, sources and reports) live as long as their job records, plus a day. */
export const JOB_FILE_PREFIXES = ['exports/', 'imports/'];
export const JOB_FILES_EXPIRE_DAYS = Math.ceil(JOB_TTL_S / 86_400) + 1;
export const ACCESS_LOG_DAYS = 365;

export class AccessLogs extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: BucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes with an ACL grant, so ACLs must stay possible on this bucket (only here).
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
    });
    acknowledge(
      this.bucket,
      'AwsSolutions-S1',
      'this bucket is the destination of the server access logs of the files and site buckets and of the CloudFront logs; logging it into itself would log its own log deliveries in a loop.',
    );
  }
}

export interface FilesProps {
  /** The site origin (https://…) allowed to POST uploads and read files from the browser. */
  siteOrigin: string;
  logBucket: IBucket;
}

export class Files extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: FilesProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 'files/',
      cors: [
        {
          // Browser → S3 presigned POST (upload) and presigned GET (preview/download) from the site only.
          allowedOrigins: [props.siteOrigin],
          allowedMethods: [HttpMethods.POST, HttpMethods.GET, HttpMethods.HEAD],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag', 'Location'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...JOB_FILE_PREFIXES.map((prefix) => ({
          id: `expire-${prefix.replace(/\/$/, '')}`,
          prefix,
          expiration: Duration.days(JOB_FILES_EXPIRE_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
        })),
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(90) },
      ],
    });
  }
}
