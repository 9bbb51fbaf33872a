/**
 * The local emulators behind `npm start`: DynamoDB Local (Java 17+) and s3rver, with the traps from TOOLCHAIN.md covered
 * (transactions, aws-chunked checksum framing, DES continuation tokens, presigned POST, persistence across restarts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DescribeTableCommand,
  TransactionCanceledException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { FAST_START_JVM_ARGS, localDynamoClient, startDynamoLocal, type DynamoLocal } from '../../infra/local/dynamodb-local.ts';
import { freePort } from '../../infra/local/ports.ts';
import { localS3Client, startS3Local, type S3Local } from '../../infra/local/s3-local.ts';

const BUCKET = 'census-uploads';

let workDir: string;
let dynamo: DynamoLocal | undefined;
let s3Local: S3Local | undefined;
let ddb: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let s3: S3Client;
const extraStops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'risk-census-local-'));
  const t0 = performance.now();
  const timed = async <T>(p: Promise<T>): Promise<[T, number]> => [await p, Math.round(performance.now() - t0)];
  const [[d, dMs], [s, sMs]] = await Promise.all([
    timed(startDynamoLocal({ port: 0, jvmArgs: FAST_START_JVM_ARGS })),
    timed(startS3Local({ port: 0, directory: join(workDir, 's3'), bucket: BUCKET })),
  ]);
  dynamo = d;
  s3Local = s;
  console.info(`local stack ready: DynamoDB Local ${dMs} ms (${d.endpoint}), s3rver ${sMs} ms (${s.endpoint})`);
  ddb = localDynamoClient(d.endpoint);
  doc = DynamoDBDocumentClient.from(ddb);
  s3 = localS3Client(s.endpoint);
}, 120_000);

afterAll(async () => {
  ddb?.destroy();
  s3?.destroy();
  await Promise.allSettled([dynamo?.stop(), s3Local?.stop(), ...extraStops.map((stop) => stop())]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 30_000);

describe('DynamoDB Local', () => {
  it('creates a table with a GSI and runs a conditional TransactWriteItems (put + ADD counter + put)', async () => {
    await ddb.send(
      new CreateTableCommand({
        TableName: 'census',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const described = await ddb.send(new DescribeTableCommand({ TableName: 'census' }));
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['gsi1']);

    const submit = () =>
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: 'census',
                Item: {
                  pk: 'SUB#s-1',
                  sk: 'SUB',
                  gsi1pk: 'REGION#110101001',
                  gsi1sk: 'FORM#house#s-1',
                  payload: { floors: 2 },
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: 'census',
                Key: { pk: 'CELL#house#110101001', sk: 'COUNT' },
                UpdateExpression: 'ADD #n :one',
                ExpressionAttributeNames: { '#n': 'submitted' },
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
            {
              Put: {
                TableName: 'census',
                Item: { pk: 'AUDIT#s-1', sk: `AT#${Date.now()}`, action: 'submit' },
              },
            },
          ],
        }),
      );

    await submit();
    const second = await submit().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(second).toBeInstanceOf(TransactionCanceledException);
    const reasons = (second as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons?.[0]).toBe('ConditionalCheckFailed');

    const counter = await doc.send(new GetCommand({ TableName: 'census', Key: { pk: 'CELL#house#110101001', sk: 'COUNT' } }));
    expect(counter.Item?.submitted).toBe(1);
    const byRegion = await doc.send(
      new QueryCommand({
        TableName: 'census',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :r',
        ExpressionAttributeValues: { ':r': 'REGION#110101001' },
      }),
    );
    expect(byRegion.Items?.map((i) => i.pk)).toEqual(['SUB#s-1']);
  });

  it('keeps a table across stop/start with a persistent dbPath', async () => {
    const dbPath = join(workDir, 'ddb');
    const first = await startDynamoLocal({ dbPath, jvmArgs: FAST_START_JVM_ARGS });
    extraStops.push(first.stop);
    const c1 = DynamoDBDocumentClient.from(localDynamoClient(first.endpoint));
    await c1.send(
      new CreateTableCommand({
        TableName: 'persisted',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await c1.send(new PutCommand({ TableName: 'persisted', Item: { pk: 'k', v: 42 } }));
    c1.destroy();
    await first.stop();

    const second = await startDynamoLocal({ dbPath, port: await freePort(), jvmArgs: FAST_START_JVM_ARGS });
    extraStops.push(second.stop);
    const c2 = DynamoDBDocumentClient.from(localDynamoClient(second.endpoint));
    const got = await c2.send(new GetCommand({ TableName: 'persisted', Key: { pk: 'k' } }));
    expect(got.Item).toEqual({ pk: 'k', v: 42 });
    c2.destroy();
    await second.stop();
  }, 120_000);
});

describe('s3rver', () => {
  it('stores a 2 MB stream body byte for byte (no aws-chunked framing)', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const chunks = Array.from({ length: 32 }, (_, i) => data.subarray(i * 65_536, (i + 1) * 65_536));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'blobs/two-mb.bin',
        Body: Readable.from(chunks),
        ContentLength: data.length,
        ContentType: 'application/octet-stream',
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'blobs/two-mb.bin' }));
    const bytes = await got.Body?.transformToByteArray();
    expect(bytes?.length).toBe(data.length);
    expect(Buffer.from(bytes ?? []).equals(data)).toBe(true);
  });

  it('paginates ListObjectsV2 with MaxKeys 2 over 5 objects (continuation token)', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => `list/${k}.txt`);
    await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }))));
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', MaxKeys: 2, ContinuationToken: token }),
      );
      pages.push((page.Contents ?? []).map((o) => o.Key ?? ''));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(keys);
  });

  it('accepts a browser-style upload through a presigned POST', async () => {
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: BUCKET,
      Key: 'uploads/s-1/photo.jpg',
      Conditions: [
        ['content-length-range', 1, 5 * 1024 * 1024],
        ['eq', '$Content-Type', 'image/jpeg'],
        ['starts-with', '$key', 'uploads/s-1/'],
      ],
      Fields: { 'Content-Type': 'image/jpeg' },
      Expires: 600,
    });
    expect(fields.Policy).toBeTruthy();
    const body = randomBytes(10_000);
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([body], { type: 'image/jpeg' }), 'photo.jpg'); // the file must be the last field
    const res = await fetch(url, { method: 'POST', body: form, headers: { origin: 'http://localhost:5173' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy();

    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'uploads/s-1/photo.jpg' }));
    expect(head.ContentType).toBe('image/jpeg');
    expect(head.ContentLength).toBe(body.length);
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'uploads/s-1/photo.jpg' }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(body)).toBe(true);
  });
});
