/**
 * The embedded file store and its HTTP endpoint, on real temporary directories, a real node:http server and real
 * fetch/FormData: uploads judged by the signed policy (and every refusal leaving nothing on disk), atomic streamed
 * writes, bounded reads, signed download links, key safety, the file secret. And the policy evaluator itself, judging
 * a policy signed by the real AWS SDK's createPresignedPost the way S3 would.
 */
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { UploadGrant } from '#app/ports';
import { LocalFileStore, loadFileSecret } from '../../functions/adapters/files/local-files';
import { decodeS3Policy, evaluatePolicy, type PostPolicy } from '../../functions/adapters/files/post-policy';
import { S3FileStore, uploadConditions } from '../../functions/adapters/s3/files';
import { handleFileRequest, MAX_UPLOAD_BODY_BYTES } from '../../infra/local/file-endpoint';

let sandbox: string;
let root: string;
/** The store's clock: undefined is the real time. */
let clock: Date | undefined;
let store: LocalFileStore;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void handleFileRequest(req, res, url, store).then((handled) => {
      if (!handled) {
        res.writeHead(418);
        res.end('not mine');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
);

beforeEach(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'risk-census-files-test-'));
  root = join(sandbox, 'files');
  clock = undefined;
  store = new LocalFileStore({ root, secret: randomBytes(32), now: () => clock ?? new Date() });
});
afterEach(() => rmSync(sandbox, { recursive: true, force: true }));

/** Every path under root (files and directories), sorted; [] when root does not exist. */
function onDisk(): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).map((p) => p.split('\\').join('/')).sort();
}
const filesOnDisk = () => onDisk().filter((p) => statSync(join(root, p)).isFile());

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...randomBytes(60), 0xff, 0xd9]);

/** POST a grant the way a browser does: the grant's fields (changed by `fields`), then the file. */
async function post(grant: UploadGrant, bytes: Uint8Array, fields: Record<string, string> = {}, omit: string[] = []): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...grant.fields, ...fields })) if (!omit.includes(k)) form.append(k, v);
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }), 'photo.jpg');
  return fetch(new URL(grant.url, base), { method: 'POST', body: form });
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `https://risk-census.invalid/problems/${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(Object.keys(body).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
}

const decodeLocal = (grant: UploadGrant) => JSON.parse(Buffer.from(grant.fields.policy!, 'base64').toString('utf8')) as PostPolicy;

describe('presignUpload', () => {
  it('signs the conditions the S3 adapter signs, relative to this origin, for 15 minutes', async () => {
    clock = new Date('2026-03-01T08:00:00.000Z');
    const key = 'attachments/s1/u1';
    const grant = await store.presignUpload(key, 'image/jpeg', 1000, { field: 'photo', 'file-name': '照片 1.jpg' });
    expect(grant.url).toBe('/files/upload');
    expect(grant.fields).toMatchObject({ key, 'Content-Type': 'image/jpeg', 'x-amz-meta-field': 'photo', 'x-amz-meta-file-name': encodeURIComponent('照片 1.jpg') });
    expect(grant.fields.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeLocal(grant)).toEqual({
      expiration: '2026-03-01T08:15:00.000Z',
      conditions: [...uploadConditions(key, 'image/jpeg', 1000), { 'x-amz-meta-field': 'photo' }, { 'x-amz-meta-file-name': encodeURIComponent('照片 1.jpg') }],
    });
  });
});

describe('POST /files/upload', () => {
  it('stores an upload within the policy; bytes and metadata read back; no temporary file is left', async () => {
    const key = 'attachments/s1/u1';
    const grant = await store.presignUpload(key, 'image/jpeg', 1000, { field: 'photo', 'file-name': '照片 1.jpg' });
    const res = await post(grant, JPEG);
    expect(res.status).toBe(204);
    expect(await store.exists(key)).toBe(true);
    expect(Buffer.from((await store.getBytes(key, 1000))!).equals(Buffer.from(JPEG))).toBe(true);
    const meta = JSON.parse(readFileSync(join(root, 'attachments/s1/u1.meta.json'), 'utf8'));
    expect(meta).toEqual({
      contentType: 'image/jpeg',
      meta: { field: 'photo', 'file-name': encodeURIComponent('照片 1.jpg') },
      size: JPEG.length,
      sha256: createHash('sha256').update(JPEG).digest('hex'),
    });
    expect(filesOnDisk()).toEqual(['attachments/s1/u1', 'attachments/s1/u1.meta.json']);
  });

  it('accepts exactly maxSize bytes and one byte', async () => {
    const grant = await store.presignUpload('attachments/s1/max', 'image/jpeg', JPEG.length, {});
    expect((await post(grant, JPEG)).status).toBe(204);
    const one = await store.presignUpload('attachments/s1/one', 'image/jpeg', JPEG.length, {});
    expect((await post(one, new Uint8Array([7]))).status).toBe(204);
    expect(filesOnDisk()).toEqual(['attachments/s1/max', 'attachments/s1/max.meta.json', 'attachments/s1/one', 'attachments/s1/one.meta.json']);
  });

  const refusals: [string, (g: UploadGrant) => Promise<Response>, number, string][] = [
    ['too large', (g) => post(g, new Uint8Array(101)), 403, 'upload.size'],
    ['zero bytes', (g) => post(g, new Uint8Array(0)), 403, 'upload.size'],
    ['another content type', (g) => post(g, JPEG, { 'Content-Type': 'image/png' }), 403, 'upload.content-type'],
    ['another key than the signed one', (g) => post(g, JPEG, { key: 'attachments/s1/other' }), 403, 'upload.key'],
    [
      'a tampered policy (larger size, same signature)',
      (g) => {
        const p = decodeLocal(g);
        p.conditions[0] = ['content-length-range', 1, 10_000_000];
        return post(g, JPEG, { policy: Buffer.from(JSON.stringify(p)).toString('base64') });
      },
      403,
      'upload.bad-signature',
    ],
    [
      'a tampered signature',
      (g) => {
        const s = g.fields.signature!;
        return post(g, JPEG, { signature: (s[0] === 'A' ? 'B' : 'A') + s.slice(1) });
      },
      403,
      'upload.bad-signature',
    ],
    ['no signature', (g) => post(g, JPEG, {}, ['signature']), 403, 'upload.bad-signature'],
    ['an extra unsigned metadata field', (g) => post(g, JPEG, { 'x-amz-meta-owner': 'mallory' }), 403, 'upload.field'],
    ['an extra unsigned field', (g) => post(g, JPEG, { acl: 'public-read' }), 403, 'upload.field'],
    ['a changed metadata value', (g) => post(g, JPEG, { 'x-amz-meta-field': 'other' }), 403, 'upload.field'],
    ['a missing signed field', (g) => post(g, JPEG, {}, ['x-amz-meta-field']), 403, 'upload.field'],
    [
      'no file part',
      (g) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(g.fields)) form.append(k, v);
        return fetch(new URL(g.url, base), { method: 'POST', body: form });
      },
      400,
      'upload.no-file',
    ],
    ['a body that is not a form', (g) => fetch(new URL(g.url, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 400, 'upload.malformed'],
    [
      'a broken multipart body',
      (g) => fetch(new URL(g.url, base), { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nnonsense' }),
      400,
      'upload.malformed',
    ],
  ];

  it.each(refusals)('refuses %s, leaving nothing on disk', async (_name, send, status, code) => {
    const key = 'attachments/s1/u2';
    const grant = await store.presignUpload(key, 'image/jpeg', 100, { field: 'photo' });
    await expectProblem(await send(grant), status, code);
    expect(await store.exists(key)).toBe(false);
    expect(onDisk()).toEqual([]);
  });

  it('refuses an expired grant (and accepts the same grant before expiry)', async () => {
    const t0 = new Date('2026-03-01T08:00:00.000Z');
    clock = t0;
    const grant = await store.presignUpload('attachments/s1/late', 'image/jpeg', 1000, {});
    clock = new Date(t0.getTime() + 15 * 60_000);
    await expectProblem(await post(grant, JPEG), 403, 'upload.expired');
    expect(onDisk()).toEqual([]);
    clock = new Date(t0.getTime() + 15 * 60_000 - 1);
    expect((await post(grant, JPEG)).status).toBe(204);
    expect(await store.exists('attachments/s1/late')).toBe(true);
  });

  it('refuses a grant signed under another secret', async () => {
    const other = new LocalFileStore({ root, secret: randomBytes(32) });
    const grant = await other.presignUpload('attachments/s1/x', 'image/jpeg', 1000, {});
    await expectProblem(await post(grant, JPEG), 403, 'upload.bad-signature');
    expect(onDisk()).toEqual([]);
  });

  /** A raw request, to send headers fetch will not: a false length, no length. */
  function raw(headers: Record<string, string | number>, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(new URL('/files/upload', base), { method: 'POST', headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode!, body: text });
        });
      });
      req.on('error', reject);
      req.flushHeaders();
      if (body !== undefined) req.write(body);
    });
  }

  it('refuses a declared body over 25 MB before reading it, and a body without a length', async () => {
    const big = await raw({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': MAX_UPLOAD_BODY_BYTES + 1 });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).code).toBe('upload.too-large');
    const chunked = await raw({ 'content-type': 'multipart/form-data; boundary=x', 'transfer-encoding': 'chunked' }, '--x\r\n');
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.body).code).toBe('upload.length-required');
    expect(onDisk()).toEqual([]);
  });
});

describe('acceptUpload', () => {
  it('stores the signed content type, not the file part’s own', async () => {
    const grant = await store.presignUpload('imports/j1', 'text/csv', 100, { 'uploaded-by': 'u1' });
    const r = await store.acceptUpload({ fields: grant.fields, file: { bytes: Buffer.from('a,b\n'), contentType: 'application/x-evil' } });
    expect(r).toEqual({ ok: true, key: 'imports/j1' });
    expect(store.verifyDownload('imports/j1', new URL(await store.presignDownload('imports/j1'), base).searchParams)).toMatchObject({ ok: true, contentType: 'text/csv' });
  });

  it('matches field names case-insensitively, as S3 does', async () => {
    const grant = await store.presignUpload('imports/j2', 'text/csv', 100, {});
    const { 'Content-Type': type, ...rest } = grant.fields;
    const r = await store.acceptUpload({ fields: { ...rest, 'content-type': type! }, file: { bytes: Buffer.from('x') } });
    expect(r.ok).toBe(true);
  });
});

describe('putStream', () => {
  it('streams a body of unknown length into the key with its metadata', async () => {
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.from(`row ${i},一行\r\n`));
    const whole = Buffer.concat(chunks);
    expect(await store.putStream('exports/e1.csv', Readable.from(chunks), 'text/csv; charset=utf-8')).toEqual({ bytes: whole.length });
    expect(Buffer.from((await store.getBytes('exports/e1.csv', whole.length))!).equals(whole)).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'exports/e1.csv.meta.json'), 'utf8'))).toEqual({
      contentType: 'text/csv; charset=utf-8',
      meta: {},
      size: whole.length,
      sha256: createHash('sha256').update(whole).digest('hex'),
    });
    expect(filesOnDisk()).toEqual(['exports/e1.csv', 'exports/e1.csv.meta.json']);
  });

  const failing = () => {
    let sent = 0;
    return new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(64 * 1024, 1));
        else this.destroy(new Error('source failed half-way'));
      },
    });
  };

  it('leaves no object and no temporary file when the source fails half-way', async () => {
    await expect(store.putStream('exports/e2.csv', failing(), 'text/csv')).rejects.toThrow('source failed half-way');
    expect(await store.exists('exports/e2.csv')).toBe(false);
    expect(await store.getBytes('exports/e2.csv', 1e9)).toBeUndefined();
    expect(filesOnDisk()).toEqual([]);
  });

  it('keeps the previous object when a replacement fails', async () => {
    await store.putStream('exports/e3.csv', Readable.from([Buffer.from('old')]), 'text/csv');
    await expect(store.putStream('exports/e3.csv', failing(), 'text/plain')).rejects.toThrow();
    expect(Buffer.from((await store.getBytes('exports/e3.csv', 10))!).toString()).toBe('old');
    expect(filesOnDisk()).toEqual(['exports/e3.csv', 'exports/e3.csv.meta.json']);
  });
});

describe('getBytes', () => {
  it('reads up to the limit, throws over it, and answers undefined for a missing key', async () => {
    await store.putStream('exports/g.csv', Readable.from([Buffer.alloc(1000, 65)]), 'text/csv');
    expect((await store.getBytes('exports/g.csv', 1000))!.length).toBe(1000);
    await expect(store.getBytes('exports/g.csv', 999)).rejects.toThrow(/larger than 999 bytes/);
    expect(await store.getBytes('exports/missing.csv', 1000)).toBeUndefined();
    // A directory is not an object.
    expect(await store.getBytes('exports', 1000)).toBeUndefined();
    expect(await store.exists('exports')).toBe(false);
  });
});

describe('GET /files/<key>', () => {
  const key = 'exports/report-1.csv';
  const body = Buffer.from('区,户数\n江岸,12\n');
  beforeEach(async () => {
    await store.putStream(key, Readable.from([body]), 'text/csv; charset=utf-8');
  });

  it('downloads through a signed link with its content type and file name', async () => {
    const link = await store.presignDownload(key, '报告 (1).csv');
    expect(link).toMatch(/^\/files\/exports\/report-1\.csv\?exp=\d+&sig=[A-Za-z0-9_-]+&name=/);
    const res = await fetch(new URL(link, base));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%281%29.csv`);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');

    const head = await fetch(new URL(link, base), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const plain = await fetch(new URL(await store.presignDownload(key), base));
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-disposition')).toBeNull();
  });

  it('refuses the link once it has expired (after 5 minutes)', async () => {
    const t0 = new Date('2026-03-01T08:00:00.000Z');
    clock = t0;
    const link = await store.presignDownload(key, 'a.csv');
    clock = new Date(t0.getTime() + 299_000);
    expect((await fetch(new URL(link, base))).status).toBe(200);
    clock = new Date(t0.getTime() + 300_000);
    await expectProblem(await fetch(new URL(link, base)), 403, 'files.forbidden');
  });

  it('refuses a tampered key, signature or file name', async () => {
    await store.putStream('exports/report-2.csv', Readable.from([Buffer.from('secret')]), 'text/csv');
    const link = await store.presignDownload(key, 'a.csv');
    const sig = new URL(link, base).searchParams.get('sig')!;
    const tampered = [
      link.replace('report-1', 'report-2'),
      link.replace(`sig=${sig}`, `sig=${(sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)}`),
      link.replace('name=a.csv', 'name=b.exe'),
      link.replace(/&name=.*$/, ''),
      link.replace(/exp=\d+/, (m) => `exp=${Number(m.slice(4)) + 3600}`),
      link.replace(/\?.*$/, ''),
    ];
    for (const t of tampered) await expectProblem(await fetch(new URL(t, base)), 403, 'files.forbidden');
    expect((await fetch(new URL(link, base))).status).toBe(200);
  });

  it('answers 404 for a signed link to a missing file, and for other requests under /files', async () => {
    await expectProblem(await fetch(new URL(await store.presignDownload('exports/never.csv'), base)), 404, 'files.not-found');
    await expectProblem(await fetch(new URL(await store.presignDownload(key), base), { method: 'DELETE' }), 404, 'files.not-found');
    await expectProblem(await fetch(new URL('/files/', base)), 404, 'files.not-found');
    await expectProblem(await fetch(new URL('/files/upload', base), { method: 'PUT', body: 'x' }), 404, 'files.not-found');
    // Paths outside /files are not the endpoint's.
    expect((await fetch(new URL('/filesystem', base))).status).toBe(418);
  });
});

describe('keys', () => {
  const bad = ['../x', 'attachments/../../x', 'a/..', '/etc/passwd', 'a\\b', 'a//b', 'a/', '', 'a/./b', '.hidden', 'a/.b', 'a b', 'a/%2e%2e/b', 'a/ü', 'a/b.meta.json', 'x'.repeat(1025)];

  it.each(bad.map((k) => [k]))('refuses %j in every operation', async (k) => {
    await expect(store.presignUpload(k, 'text/plain', 10, {})).rejects.toThrow(/invalid file key/);
    await expect(store.putStream(k, Readable.from([Buffer.from('x')]), 'text/plain')).rejects.toThrow(/invalid file key/);
    await expect(store.exists(k)).rejects.toThrow(/invalid file key/);
    await expect(store.getBytes(k, 10)).rejects.toThrow(/invalid file key/);
    await expect(store.presignDownload(k)).rejects.toThrow(/invalid file key/);
    expect(store.verifyDownload(k, new URLSearchParams({ exp: '9999999999', sig: 'x' }))).toEqual({ ok: false, status: 403 });
    expect(readdirSync(sandbox)).toEqual([]);
  });

  it('accepts the keys the application uses', async () => {
    for (const k of ['attachments/0b6f0c1e-1d2a-4c5b-9e8f-123456789abc/5d1e2f3a-4b5c-4d6e-8f70-0123456789ab', 'exports/e-1.csv', 'imports/j_1.xlsx']) {
      await store.putStream(k, Readable.from([Buffer.from('x')]), 'text/plain');
      expect(await store.exists(k)).toBe(true);
    }
  });

  /** GET a raw request target, as written (fetch would normalise dot segments before sending). */
  const rawGet = (target: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/`, { path: target }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end();
    });

  it('does not serve a file outside root through the endpoint', async () => {
    writeFileSync(join(sandbox, 'secret.txt'), 'top secret');
    for (const path of ['/files/../secret.txt', '/files/..%2Fsecret.txt', '/files/%2e%2e/secret.txt', '/files/a/..%2F..%2Fsecret.txt', '/files/a%5C..%5C..%5Csecret.txt']) {
      const res = await rawGet(`${path}?exp=9999999999&sig=x`);
      expect(res.status).not.toBe(200);
      expect(res.body).not.toContain('top secret');
    }
    // The ones that stay under /files reach the endpoint and are refused there.
    const res = await rawGet('/files/..%2Fsecret.txt?exp=9999999999&sig=x');
    expect(res.status).toBe(403);
  });
});

describe('loadFileSecret', () => {
  it('creates a 32-byte secret readable only by its owner, then reads the same one back', () => {
    const file = join(sandbox, 'keys', 'files-secret');
    const first = loadFileSecret(file);
    expect(first.length).toBe(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadFileSecret(file).equals(first)).toBe(true);
    expect(readdirSync(join(sandbox, 'keys'))).toEqual(['files-secret']);
  });

  it('refuses a file that is not a secret', () => {
    const file = join(sandbox, 'short-secret');
    writeFileSync(file, 'abc');
    expect(() => loadFileSecret(file)).toThrow(/not a 32-byte file secret/);
  });
});

describe('evaluatePolicy on a policy the AWS SDK signs', () => {
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const key = 'attachments/s1/u1';
  let grant: { url: string; fields: Record<string, string> };
  let policy: PostPolicy;
  let signedAt: Date;

  beforeAll(async () => {
    signedAt = new Date();
    grant = await createPresignedPost(s3, {
      Bucket: 'census-files',
      Key: key,
      Conditions: [...(uploadConditions(key, 'image/jpeg', 100) as never[]), { 'x-amz-meta-field': 'photo' } as never],
      Fields: { 'Content-Type': 'image/jpeg', 'x-amz-meta-field': 'photo' },
      Expires: 900,
    });
    policy = decodeS3Policy(grant.fields);
  });

  const judge = (fields: Record<string, string>, fileSize: number, now?: Date) => evaluatePolicy(policy, { fields: { ...grant.fields, ...fields }, fileSize }, now ?? signedAt);

  it('decodes the SDK policy: its expiry and the conditions of uploadConditions', () => {
    expect(Date.parse(policy.expiration) - signedAt.getTime()).toBeGreaterThan(899_000);
    expect(Date.parse(policy.expiration) - signedAt.getTime()).toBeLessThanOrEqual(900_000);
    for (const c of uploadConditions(key, 'image/jpeg', 100)) expect(policy.conditions).toContainEqual(c);
  });

  it('allows a form within the limits', () => {
    expect(judge({}, 100)).toEqual({ ok: true });
    expect(judge({}, 1)).toEqual({ ok: true });
    // Field names are case-insensitive; x-ignore-* needs no condition.
    const { 'Content-Type': type, ...rest } = grant.fields;
    expect(evaluatePolicy(policy, { fields: { ...rest, 'content-type': type!, 'x-ignore-note': 'n' }, fileSize: 5 }, signedAt)).toEqual({ ok: true });
  });

  it.each([
    ['over the size', {}, 101, 'size'],
    ['empty', {}, 0, 'size'],
    ['another content type', { 'Content-Type': 'image/png' }, 10, 'content-type'],
    ['another key', { key: 'attachments/s1/other' }, 10, 'key'],
    ['another metadata value', { 'x-amz-meta-field': 'x' }, 10, 'field'],
    ['an extra field', { acl: 'public-read' }, 10, 'field'],
    ['an extra metadata field', { 'x-amz-meta-owner': 'm' }, 10, 'field'],
    ['another bucket', { bucket: 'other-bucket' }, 10, 'field'],
  ] as const)('refuses %s', (_name, fields, size, reason) => {
    expect(judge(fields, size)).toMatchObject({ ok: false, reason });
  });

  it('refuses the form once the policy has expired', () => {
    expect(judge({}, 10, new Date(Date.parse(policy.expiration) - 1))).toEqual({ ok: true });
    expect(judge({}, 10, new Date(Date.parse(policy.expiration)))).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('judges what S3FileStore.presignUpload signs the same way', async () => {
    const g = await new S3FileStore(s3, 'census-files').presignUpload(key, 'image/jpeg', 100, { field: 'photo', 'file-name': '照片.jpg' });
    const p = decodeS3Policy(g.fields);
    expect(evaluatePolicy(p, { fields: g.fields, fileSize: 50 }, new Date())).toEqual({ ok: true });
    expect(evaluatePolicy(p, { fields: g.fields, fileSize: 101 }, new Date())).toMatchObject({ ok: false, reason: 'size' });
    expect(evaluatePolicy(p, { fields: { ...g.fields, 'x-amz-meta-file-name': 'other.jpg' }, fileSize: 50 }, new Date())).toMatchObject({ ok: false, reason: 'field' });
  });
});

describe('evaluatePolicy semantics', () => {
  const now = new Date('2026-03-01T08:00:00Z');
  const policy = (conditions: unknown[]): PostPolicy => ({ expiration: '2026-03-01T09:00:00Z', conditions: conditions as PostPolicy['conditions'] });

  it('starts-with matches a prefix; an empty prefix allows any value', () => {
    const p = policy([['starts-with', '$key', 'imports/'], ['starts-with', '$Content-Type', '']]);
    expect(evaluatePolicy(p, { fields: { key: 'imports/a', 'Content-Type': 'x/y' }, fileSize: 1 }, now)).toEqual({ ok: true });
    expect(evaluatePolicy(p, { fields: { key: 'exports/a' }, fileSize: 1 }, now)).toMatchObject({ ok: false, reason: 'key' });
  });

  it('object conditions match exactly', () => {
    const p = policy([{ key: 'k' }, { 'X-Amz-Meta-Field': 'photo' }]);
    expect(evaluatePolicy(p, { fields: { key: 'k', 'x-amz-meta-field': 'photo' }, fileSize: 1 }, now)).toEqual({ ok: true });
    expect(evaluatePolicy(p, { fields: { key: 'k', 'x-amz-meta-field': 'Photo' }, fileSize: 1 }, now)).toMatchObject({ ok: false, reason: 'field' });
  });

  it('a form without a condition on a field it sends is refused; the signature machinery is exempt', () => {
    const p = policy([['eq', '$key', 'k']]);
    const machinery = { policy: 'p', 'X-Amz-Signature': 's', 'X-Amz-Credential': 'c', 'X-Amz-Algorithm': 'a', 'X-Amz-Date': 'd', 'X-Amz-Security-Token': 't', bucket: 'b', signature: 's' };
    expect(evaluatePolicy(p, { fields: { key: 'k', ...machinery }, fileSize: 1 }, now)).toEqual({ ok: true });
    expect(evaluatePolicy(p, { fields: { key: 'k', success_action_status: '201' }, fileSize: 1 }, now)).toMatchObject({ ok: false, reason: 'field' });
  });

  it.each([
    ['no conditions list', { expiration: '2026-03-01T09:00:00Z' }],
    ['an unreadable expiration', { expiration: 'soon', conditions: [] }],
    ['an unknown operator', policy([['matches', '$key', 'k']])],
    ['a range that is not numbers', policy([['content-length-range', 'a', 10]])],
    ['a condition of the wrong length', policy([['eq', '$key']])],
  ])('refuses a policy with %s as malformed', (_name, p) => {
    expect(evaluatePolicy(p as PostPolicy, { fields: { key: 'k' }, fileSize: 1 }, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('refuses a form that sends one field under two spellings, or no key, as malformed', () => {
    const p = policy([['eq', '$key', 'k'], ['eq', '$Content-Type', 'a/b']]);
    expect(evaluatePolicy(p, { fields: { key: 'k', 'Content-Type': 'a/b', 'content-type': 'a/b' }, fileSize: 1 }, now)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(evaluatePolicy(p, { fields: { 'Content-Type': 'a/b' }, fileSize: 1 }, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('decodeS3Policy throws without a Policy field', () => {
    expect(() => decodeS3Policy({ key: 'k' })).toThrow(/no Policy/);
  });
});
