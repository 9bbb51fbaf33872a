/**
 * Integration-test support: a real local stack on free ports with a temporary DATA_DIR — the embedded set by default
 * (SQLite, files, in-process jobs), or the AWS set against DynamoDB Local in memory + the S3 emulator with
 * `{ store: 'dynamodb' }` (or STORE=dynamodb) — and a tiny client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startLocalStack, type LocalStack, type StoreKind } from '../../infra/local/stack';
import { DEMO_PASSWORD } from '../../infra/local/demo-district';

export interface TestStack extends LocalStack {
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestStack(opts: { webRoot?: string; store?: StoreKind; demoGeo?: boolean } = {}): Promise<TestStack> {
  process.env.LOG_LEVEL = 'silent';
  const dataDir = mkdtempSync(join(tmpdir(), 'risk-census-test-'));
  const stack = await startLocalStack({ dataDir, store: opts.store, inMemory: true, webRoot: opts.webRoot ?? join(dataDir, 'no-web'), ...(opts.demoGeo ? { demoGeo: true } : {}) });
  return {
    ...stack,
    dataDir,
    async close() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Client {
  constructor(
    readonly base: string,
    public token?: string,
  ) {}

  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload });
    const text = await r.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: r.status, body: parsed, headers: r.headers };
  }
  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.req<T>('GET', path, undefined, headers);
  }
  put<T = any>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.req<T>('PUT', path, body, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.req<T>('POST', path, body, headers);
  }
}

export async function login(base: string, username: string, password = DEMO_PASSWORD): Promise<Client> {
  const c = new Client(base);
  const r = await c.post('/api/auth/login', { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  c.token = r.body.token;
  return c;
}

export const newId = () => randomUUID();
export const ifMatch = (v: number) => ({ 'if-match': `"${v}"` });

/** A small valid JPEG-like payload (content is not inspected; type and size are). */
export const PHOTO_BYTES = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, ...new TextEncoder().encode('risk-census test photo'), 0xff, 0xd9]);

/** Ask the API for an upload grant and POST the file to the storage it names, as a browser would. */
export async function uploadAttachment(c: Client, submissionId: string, field: string, contentType: string, bytes = PHOTO_BYTES): Promise<string> {
  const r = await c.post(`/api/submissions/${submissionId}/attachments`, { field, contentType, size: bytes.length, fileName: '现场照片.jpg' });
  if (r.status !== 201) throw new Error(`attachment grant: ${r.status} ${JSON.stringify(r.body)}`);
  const form = new FormData();
  for (const [k, v] of Object.entries(r.body.upload.fields as Record<string, string>)) form.append(k, v);
  form.append('file', new Blob([bytes], { type: contentType }), 'photo.jpg');
  const up = await fetch(new URL(r.body.upload.url, c.base), { method: 'POST', body: form });
  if (up.status >= 300) throw new Error(`upload: ${up.status} ${await up.text()}`);
  return r.body.attachmentId;
}
