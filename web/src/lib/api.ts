/**
 * The only module that calls the API. Adds the bearer token, parses problem+json into ApiError (with field paths),
 * exposes ETags for If-Match, and sends the user to the login page when the session has expired.
 */
import { goto } from '$app/navigation';
import { config } from './config';
import { session } from './session.svelte';

export interface FieldError {
  path: string;
  code: string;
  message: { zh: string; en: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || code);
  }
  /** True when the request never reached the server (offline, DNS, connection reset). */
  get network(): boolean {
    return this.status === 0;
  }
}

export interface ApiResponse<T> {
  body: T;
  status: number;
  etag: string | null;
  /** For a file download: the name in Content-Disposition, when the browser may read it. */
  fileName?: string;
}

function fileNameOf(res: Response): string | undefined {
  const cd = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) return decodeURIComponent(star[1]!);
  return /filename="?([^";]+)"?/i.exec(cd)?.[1];
}

/** A body sent as it is (a file's bytes) rather than as JSON; the caller names its content type. */
function isRaw(body: unknown): body is Blob | ArrayBuffer | Uint8Array {
  return body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body);
}

async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, as: 'json' | 'blob' = 'json'): Promise<ApiResponse<T>> {
  const { apiBase } = await config();
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  // An explicit authorization header wins (choosing a new password with a token that is not the stored session's).
  const explicit = h.authorization !== undefined;
  const token = explicit ? null : session.token;
  if (token) h.authorization = `Bearer ${token}`;
  const raw = isRaw(body);
  if (body !== undefined && !raw) h['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(apiBase + path, { method, headers: h, body: body === undefined ? undefined : raw ? (body as BodyInit) : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', (e as Error).message);
  }
  if (res.ok && as === 'blob') return { body: (await res.blob()) as T, status: res.status, etag: res.headers.get('etag'), fileName: fileNameOf(res) };
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const p = (parsed ?? {}) as { code?: string; detail?: string; title?: string; errors?: FieldError[] };
    // Only a refusal of the stored session ends it: not one of an explicit token (the caller handles that), nor one of
    // a token replaced meanwhile (a request still under way across a password change and the new sign-in).
    if (res.status === 401 && !path.startsWith('/api/auth/') && !explicit && session.token === token) {
      session.signOut();
      const next = location.pathname + location.search;
      await goto(`/login?expired=1&next=${encodeURIComponent(next)}`);
    }
    throw new ApiError(res.status, p.code ?? 'http', p.detail ?? p.title ?? res.statusText, p.errors ?? []);
  }
  return { body: parsed as T, status: res.status, etag: res.headers.get('etag') };
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  put: <T>(path: string, body: unknown, headers?: Record<string, string>) => request<T>('PUT', path, body, headers),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>('POST', path, body, headers),
  ifMatch: (version: number) => ({ 'if-match': `"${version}"` }),
  /** POST a file's bytes as the body (e.g. an XLSForm workbook); the answer is JSON. */
  postFile: <T>(path: string, file: Blob, contentType: string) => request<T>('POST', path, file, { 'content-type': contentType }),
  /** GET a file (an attachment download) as a Blob, with its name when the server gives one. */
  download: (path: string) => request<Blob>('GET', path, undefined, { accept: '*/*' }, 'blob'),
};

/** Upload a file straight to storage through a presigned POST, reporting progress (0–1). */
export function uploadToStorage(upload: { url: string; fields: Record<string, string> }, file: Blob, onProgress?: (f: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new ApiError(xhr.status, 'upload', xhr.responseText.slice(0, 200))));
    xhr.onerror = () => reject(new ApiError(0, 'network', 'upload failed'));
    xhr.send(form);
  });
}
