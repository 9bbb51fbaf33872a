/** The AWS adapter set (DynamoDB, S3, Lambda Invoke), built from the environment: what Lambda functions run with. */
import { randomUUID } from 'node:crypto';
import type { Ports } from '#app/ports';
import { documentClient } from '#adapters/dynamo/client';
import { DynamoDirectoryStore } from '#adapters/dynamo/directory';
import { DynamoProgressStore } from '#adapters/dynamo/progress';
import { DynamoSubmissionStore } from '#adapters/dynamo/submissions';
import { LambdaJobQueue, NO_JOB_QUEUE } from '#adapters/jobs/lambda';
import { S3FileStore, s3Client } from '#adapters/s3/files';

export function portsFromEnv(env: Record<string, string | undefined> = process.env): Ports {
  const db = documentClient(env);
  return {
    submissions: new DynamoSubmissionStore(db, env),
    progress: new DynamoProgressStore(db, env),
    directory: new DynamoDirectoryStore(db, env),
    files: new S3FileStore(s3Client(env), env.BUCKET ?? 'risk-census-files'),
    jobs: env.JOB_FUNCTION ? new LambdaJobQueue(env.JOB_FUNCTION, env) : NO_JOB_QUEUE,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}
