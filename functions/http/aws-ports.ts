/** The AWS adapter set (DynamoDB, S3, Lambda Invoke), built from the environment: what Lambda functions run with. */
import { randomUUID } from 'node:crypto';
import type { IdentityProvider, Ports } from '#app/ports';
import { documentClient } from '#adapters/dynamo/client';
import { DynamoDirectoryStore } from '#adapters/dynamo/directory';
import { DynamoObjectStore } from '#adapters/dynamo/objects';
import { DynamoProgressStore } from '#adapters/dynamo/progress';
import { DynamoSubmissionStore } from '#adapters/dynamo/submissions';
import { LambdaJobQueue, NO_JOB_QUEUE } from '#adapters/jobs/lambda';
import { S3FileStore, s3Client } from '#adapters/s3/files';
import { cognitoIdentityFromEnv } from '#adapters/identity/cognito';

export function portsFromEnv(env: Record<string, string | undefined> = process.env): Ports {
  const db = documentClient(env);
  return {
    // Only the functions of routes with `uses.identity` (and the job worker) get USER_POOL_ID and the Cognito grants.
    identity: env.USER_POOL_ID ? cognitoIdentityFromEnv(env) : NO_IDENTITY,
    submissions: new DynamoSubmissionStore(db, env),
    progress: new DynamoProgressStore(db, env),
    directory: new DynamoDirectoryStore(db, env),
    objects: new DynamoObjectStore(db, env),
    files: new S3FileStore(s3Client(env), env.BUCKET ?? 'risk-census-files'),
    jobs: env.JOB_FUNCTION ? new LambdaJobQueue(env.JOB_FUNCTION, env) : NO_JOB_QUEUE,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}

/** The identity port of a function that manages no members: any use is a wiring mistake, reported as such. */
export const NO_IDENTITY: IdentityProvider = {
  kind: 'cognito',
  createUser: unavailable,
  resetPassword: unavailable,
  disableUser: unavailable,
  enableUser: unavailable,
  users: unavailable,
};

function unavailable(): never {
  throw new Error('This function has no access to the user pool (USER_POOL_ID is not set; only routes with uses.identity get it)');
}
