/**
 * S3FileStore.putStream against a recording S3 client: the body is spooled to a temporary file and stored with one
 * PutObject of known length; transient storage errors are retried by reading the file again; a failing source, an
 * oversized body or a lasting storage error rejects without storing anything; the temporary file never outlives the call.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3FileStore } from '../../functions/adapters/s3/files';

interface Put {
  key: string;
  length: number | undefined;
  type: string | undefined;
  body: string;
}

/** A client whose PutObject reads the whole body, then answers with the next scripted outcome (default: success). */
function recordingClient(outcomes: (Error | 'ok')[] = []) {
  const puts: Put[] = [];
  const client = {
    async send(cmd: PutObjectCommand) {
      const input = cmd.input;
      const chunks: Buffer[] = [];
      for await (const c of input.Body as Readable) chunks.push(c as Buffer);
      puts.push({ key: input.Key!, length: input.ContentLength, type: input.ContentType, body: Buffer.concat(chunks).toString('utf8') });
      const next = outcomes.shift() ?? 'ok';
      if (next !== 'ok') throw next;
      return {};
    },
  };
  return { client: client as unknown as S3Client, puts };
}

const httpError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });

function rows(n: number): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < n; i++) yield Buffer.from(`row ${i},一行\r\n`);
  })());
}

let spoolDir: string;
beforeEach(() => {
  spoolDir = mkdtempSync(join(tmpdir(), 'risk-census-spool-test-'));
});
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

const store = (client: S3Client, maxPutBytes?: number) => new S3FileStore(client, 'bucket', { spoolDir, retryDelayMs: () => 1, ...(maxPutBytes ? { maxPutBytes } : {}) });

describe('putStream', () => {
  it('spools the body and stores it with one PutObject of known length', async () => {
    const { client, puts } = recordingClient();
    const expected = Array.from({ length: 5000 }, (_, i) => `row ${i},一行\r\n`).join('');
    const r = await store(client).putStream('exports/a.csv', rows(5000), 'text/csv; charset=utf-8');
    expect(r.bytes).toBe(Buffer.byteLength(expected));
    expect(puts).toEqual([{ key: 'exports/a.csv', length: r.bytes, type: 'text/csv; charset=utf-8', body: expected }]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('stores an empty body', async () => {
    const { client, puts } = recordingClient();
    expect(await store(client).putStream('k', Readable.from([]), 'text/plain')).toEqual({ bytes: 0 });
    expect(puts.map((p) => [p.length, p.body])).toEqual([[0, '']]);
  });

  it('retries a transient storage error by reading the file again', async () => {
    const { client, puts } = recordingClient([httpError('ServiceUnavailable', 503), refused()]);
    const r = await store(client).putStream('k', rows(100), 'text/csv');
    expect(puts).toHaveLength(3);
    // Every attempt sent the whole body.
    expect(new Set(puts.map((p) => p.body)).size).toBe(1);
    expect(puts[2]!.body).toHaveLength(puts[0]!.body.length);
    expect(Buffer.byteLength(puts[2]!.body)).toBe(r.bytes);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('gives up after three attempts, and at once on an error that is not transient', async () => {
    const down = recordingClient([refused(), refused(), refused(), refused()]);
    await expect(store(down.client).putStream('k', rows(10), 'text/csv')).rejects.toThrow(/ECONNREFUSED/);
    expect(down.puts).toHaveLength(3);
    const denied = recordingClient([httpError('AccessDenied', 403)]);
    await expect(store(denied.client).putStream('k', rows(10), 'text/csv')).rejects.toThrow('AccessDenied');
    expect(denied.puts).toHaveLength(1);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a failing source rejects with its error and stores nothing', async () => {
    const { client, puts } = recordingClient();
    const source = Readable.from((async function* () {
      yield Buffer.from('a,b\r\n');
      throw new Error('DynamoDB went away');
    })());
    await expect(store(client).putStream('k', source, 'text/csv')).rejects.toThrow('DynamoDB went away');
    expect(puts).toEqual([]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('a source destroyed by its writer rejects and stores nothing', async () => {
    const { client, puts } = recordingClient();
    const source = new Readable({ read() {} });
    const pending = store(client).putStream('k', source, 'text/csv');
    source.push('a,b\r\n');
    setTimeout(() => source.destroy(new Error('export failed')), 10);
    await expect(pending).rejects.toThrow('export failed');
    expect(puts).toEqual([]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('refuses a body over the limit while spooling, before anything is stored', async () => {
    const { client, puts } = recordingClient();
    await expect(store(client, 1000).putStream('exports/big.csv', rows(1000), 'text/csv')).rejects.toThrow(/larger than 1000 bytes/);
    expect(puts).toEqual([]);
    expect(readdirSync(spoolDir)).toEqual([]);
  });
});
