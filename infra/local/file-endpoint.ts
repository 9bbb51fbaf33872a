/**
 * The local stand-in for S3's HTTP face, in front of the embedded file store (functions/adapters/files/local-files.ts):
 *  - `POST /files/upload`: a browser's presigned POST (multipart/form-data: the grant's fields, then the `file` part),
 *    judged by the store against its signed policy exactly as S3 judges a presigned POST. 204 on success (S3's default
 *    answer); refusals are problem+json: 400 for a form that cannot be read or has no file, 403 for a bad signature,
 *    an expired policy or anything the policy does not allow; 411/413 for a body without a length or over 25 MB.
 *  - `GET|HEAD /files/<key>?exp&sig[&name]`: a signed, short-lived download link (403 bad or expired, 404 no file).
 *  - anything else under /files: 404.
 * Errors never carry a stack trace to the client; unexpected ones are logged and answered 500.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LocalFileStore } from '../../functions/adapters/files/local-files';

/** The largest upload body: above the largest file a grant allows (imports, 20 MB) plus the form's fields. */
export const MAX_UPLOAD_BODY_BYTES = 25 * 1024 * 1024;
/** How far past the limit the streamed count may run before the body is cut off (one read's worth). */
const STREAM_SLACK_BYTES = 64 * 1024;

const TITLES: Record<string, string> = {
  'upload.malformed': 'Malformed upload',
  'upload.no-file': 'The upload has no file',
  'upload.length-required': 'Content-Length is required',
  'upload.too-large': 'Upload body too large',
  'upload.bad-signature': 'The upload is not signed by this server',
  'upload.expired': 'The upload permission has expired',
  'upload.size': 'The file size is outside the allowed range',
  'upload.content-type': 'The content type is not the one allowed',
  'upload.key': 'The key is not the one allowed',
  'upload.field': 'The form has a field the policy does not allow',
  'files.forbidden': 'The link is invalid or has expired',
  'files.not-found': 'Not found',
  internal: 'Internal error',
};

function sendProblem(res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: `https://risk-census.invalid/problems/${code}`, title: TITLES[code] ?? 'Error', status, code, detail });
  res.writeHead(status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** Answer before the body has been read: discard what is still coming, and close the connection after answering. */
function refuseUnread(req: IncomingMessage, res: ServerResponse, status: number, code: string, detail: string): void {
  req.resume();
  sendProblem(res, status, code, detail, { connection: 'close' });
}

/** RFC 8187 encoding of a file name: encodeURIComponent leaves ' ( ) * unescaped, which attr-char does not allow. */
const rfc8187 = (name: string) => encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

async function upload(req: IncomingMessage, res: ServerResponse, store: LocalFileStore): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) return refuseUnread(req, res, 400, 'upload.malformed', 'Send the upload as multipart/form-data');
  const declared = req.headers['content-length'];
  if (declared === undefined) return refuseUnread(req, res, 411, 'upload.length-required', 'Send the upload with a Content-Length');
  if (!/^\d{1,15}$/.test(declared)) return refuseUnread(req, res, 400, 'upload.malformed', 'The Content-Length is not a number');
  if (Number(declared) > MAX_UPLOAD_BODY_BYTES) {
    return refuseUnread(req, res, 413, 'upload.too-large', `Upload bodies are limited to ${MAX_UPLOAD_BODY_BYTES / 1024 / 1024} MB`);
  }

  // Node's parser already stops at Content-Length; counting here keeps the bound even if a body ever arrives without
  // one being honoured (the form parser buffers everything it is given).
  let seen = 0;
  let overflow = false;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > MAX_UPLOAD_BODY_BYTES + STREAM_SLACK_BYTES) {
        overflow = true;
        return done(new Error('upload body over the limit'));
      }
      done(null, chunk);
    },
  });
  let gone = false;
  const abandon = (e: Error) => {
    gone = true;
    counted.destroy(e);
  };
  req.on('error', abandon);
  req.on('aborted', () => abandon(new Error('the client aborted the upload')));
  req.pipe(counted);

  let form: FormData;
  try {
    form = await new Response(Readable.toWeb(counted) as unknown as BodyInit, { headers: { 'content-type': type } }).formData();
  } catch {
    req.unpipe(counted);
    if (overflow) return refuseUnread(req, res, 413, 'upload.too-large', `Upload bodies are limited to ${MAX_UPLOAD_BODY_BYTES / 1024 / 1024} MB`);
    // A client that went away mid-upload has nobody left to answer.
    if (gone) return void res.destroy();
    return sendProblem(res, 400, 'upload.malformed', 'The body is not a readable multipart form');
  }

  // The fields, then the file: like S3, fields after the file part are ignored.
  const fields = new Map<string, string>();
  let file: File | undefined;
  // (The DOM lib here has no FormData iterator; forEach keeps the parts' order.)
  const parts: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => parts.push([name, value]));
  for (const [name, value] of parts) {
    if (typeof value === 'string') {
      if (fields.has(name)) return sendProblem(res, 400, 'upload.malformed', `The form sends the field ${name} twice`);
      fields.set(name, value);
    } else if (name === 'file') {
      file = value;
      break;
    } else {
      return sendProblem(res, 400, 'upload.malformed', `Only the part named file may be a file, not ${name}`);
    }
  }
  if (!file) return sendProblem(res, 400, 'upload.no-file', 'The form has no file part (send it last, named file)');

  const bytes = new Uint8Array(await file.arrayBuffer());
  const r = await store.acceptUpload({ fields: Object.fromEntries(fields), file: { bytes, ...(file.type ? { contentType: file.type } : {}) } });
  if (!r.ok) return sendProblem(res, r.status, r.code, r.detail);
  res.writeHead(204, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end();
}

async function download(req: IncomingMessage, res: ServerResponse, url: URL, store: LocalFileStore): Promise<void> {
  const key = url.pathname.slice('/files/'.length);
  const check = store.verifyDownload(key, url.searchParams);
  if (!check.ok) {
    return check.status === 403
      ? sendProblem(res, 403, 'files.forbidden', 'The download link is invalid or has expired; ask for a new one')
      : sendProblem(res, 404, 'files.not-found', 'There is no such file');
  }
  let fh;
  try {
    fh = await open(check.file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return sendProblem(res, 404, 'files.not-found', 'There is no such file');
    throw e;
  }
  try {
    const { size } = await fh.stat();
    res.writeHead(200, {
      'content-type': check.contentType,
      'content-length': String(size),
      'cache-control': 'private, no-store',
      'x-content-type-options': 'nosniff',
      ...(check.fileName ? { 'content-disposition': `attachment; filename*=UTF-8''${rfc8187(check.fileName)}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    // A client that goes away mid-download ends the pipeline; there is nobody left to answer.
    await pipeline(fh.createReadStream({ autoClose: false }), res).catch(() => res.destroy());
  } finally {
    await fh.close();
  }
}

/**
 * Serve a request under `/files/`; resolves false (having done nothing) for any other path, true once answered.
 * Never rejects: an unexpected failure is logged and answered 500 (or the connection is cut if the answer had begun).
 */
export async function handleFileRequest(req: IncomingMessage, res: ServerResponse, url: URL, store: LocalFileStore): Promise<boolean> {
  if (url.pathname !== '/files' && !url.pathname.startsWith('/files/')) return false;
  try {
    if (url.pathname === '/files/upload' && req.method === 'POST') await upload(req, res, store);
    else if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.length > '/files/'.length) await download(req, res, url, store);
    else {
      req.resume();
      sendProblem(res, 404, 'files.not-found', `No file endpoint ${req.method ?? ''} ${url.pathname}`);
    }
  } catch (e) {
    console.error(JSON.stringify({ level: 'error', where: 'file-endpoint', error: String(e), stack: (e as Error)?.stack }));
    if (!res.headersSent) sendProblem(res, 500, 'internal', 'The file could not be stored or read; nothing was changed');
    else res.destroy();
  }
  return true;
}
