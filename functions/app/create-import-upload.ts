/**
 * create-import-upload — POST /api/imports/uploads { fileName, size, format? } → 201 { uploadId, upload: { url, fields } }
 * For import files too large for a JSON body: the browser posts the file straight to storage, then calls
 * POST /api/imports { formId, uploadId }.
 *  1. check the body (400): a file name, a size of 1 byte to 20 MB, format csv|xlsx (else taken from the name);
 *  2. the caller may file some form at all (`submission.write`, 403);
 *  3. record the upload (who, which key) so only its owner can import it, and presign a POST for exactly that key,
 *     content type and size range.
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { MAX_IMPORT_BYTES, saveJob, type UploadJob } from './jobs';
import type { Ports, UploadGrant } from './ports';
import { CONTENT_TYPES, IMPORT_FORMATS, type ImportFormat } from './spreadsheets';

const KEYS = ['fileName', 'size', 'format'];

export function formatOfName(name: string): ImportFormat | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  return ext === 'csv' || ext === 'xlsx' ? ext : undefined;
}

/** The exact content type an upload of this format is presigned for. */
export function uploadContentType(format: ImportFormat): string {
  return format === 'csv' ? 'text/csv' : CONTENT_TYPES.xlsx;
}

export async function createImportUpload(ports: Ports, principal: Principal, body: unknown): Promise<{ uploadId: string; contentType: string; upload: UploadGrant }> {
  if (!can(principal, 'submission.write')) throw new DomainError('access.forbidden', 'You cannot import submissions');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { fileName, size, format? }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`);
  const bad = (path: string, zh: string, en: string) => new DomainError('request.malformed', en, [{ path, code: 'invalid', message: { zh, en } }]);
  if (typeof b.fileName !== 'string' || !b.fileName.trim() || b.fileName.length > 200) throw bad('fileName', '请提供文件名', 'fileName is required (at most 200 characters)');
  if (typeof b.size !== 'number' || !Number.isInteger(b.size) || b.size < 1 || b.size > MAX_IMPORT_BYTES) throw bad('size', '文件大小应在 1 字节到 20 MB 之间', 'size is 1 byte to 20 MB');
  const format = (b.format as ImportFormat | undefined) ?? formatOfName(b.fileName);
  if (!format || !(IMPORT_FORMATS as readonly string[]).includes(format)) throw bad('format', '只能导入 CSV 或 XLSX 文件', 'Only CSV and XLSX files can be imported');
  const now = ports.now();
  const uploadId = ports.newId();
  const job: UploadJob = {
    kind: 'upload',
    id: uploadId,
    createdBy: principal.userId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    key: `imports/uploads/${uploadId}`,
    fileName: b.fileName.trim(),
    format,
    size: b.size,
  };
  await saveJob(ports, job);
  const contentType = uploadContentType(format);
  const upload = await ports.files.presignUpload(job.key, contentType, MAX_IMPORT_BYTES, { uploadedBy: principal.userId });
  return { uploadId, contentType, upload };
}
