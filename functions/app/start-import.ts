/**
 * start-import — POST /api/imports { formId, content (base64) | uploadId, format?, fileName?, key?, submit? } → 202 { id }
 *  1. check the body (400): exactly one of `content` (the file, base64, within the 256 KB body limit) and `uploadId`
 *     (a file posted to storage after POST /api/imports/uploads); format csv|xlsx (else from the file name, else from
 *     the bytes); `key` optional import key (stable row ids, see import-rows.ts); `submit` defaults to true (false
 *     imports drafts, for forms whose required photos are added in the app afterwards);
 *  2. the form exists (422 `formId`); the caller may file that form's sector somewhere (403);
 *  3. an upload must be the caller's own (404) and present in storage (422); inline content is stored at
 *     `imports/<id>/source.<ext>` so the commit can read the same bytes again;
 *  4. write the job (`validating`) and hand `{ job: 'validate-import', id, userId }` to the job queue (jobs.ts);
 *     answer 202 with the job id.
 */
import { Readable } from 'node:stream';
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { formatOfName } from './create-import-upload';
import { defaultImportKey } from './import-rows';
import { saveJob, startJob, type ImportJob, type UploadJob } from './jobs';
import type { Ports } from './ports';
import { CONTENT_TYPES, IMPORT_FORMATS, sniffFormat, type ImportFormat } from './spreadsheets';
import { validationError } from './submission-support';

const KEYS = ['formId', 'content', 'uploadId', 'format', 'fileName', 'key', 'submit'];

function bad(path: string, zh: string, en: string): DomainError {
  return new DomainError('request.malformed', en, [{ path, code: 'invalid', message: { zh, en } }]);
}

export async function startImport(ports: Ports, principal: Principal, body: unknown): Promise<{ id: string }> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { formId, content | uploadId, … }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`, unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  if (typeof b.formId !== 'string' || !b.formId) throw bad('formId', '请选择调查表', 'formId is required');
  if ((b.content === undefined) === (b.uploadId === undefined)) throw bad('content', '请提供文件内容或上传编号（二选一）', 'Send either content (base64) or uploadId');
  if (b.content !== undefined && (typeof b.content !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b.content) || b.content.length === 0)) {
    throw bad('content', '文件内容应为 base64 编码', 'content is the file in base64');
  }
  if (b.uploadId !== undefined && typeof b.uploadId !== 'string') throw bad('uploadId', '上传编号不正确', 'uploadId is a string');
  if (b.format !== undefined && !(IMPORT_FORMATS as readonly unknown[]).includes(b.format)) throw bad('format', '只能导入 CSV 或 XLSX 文件', 'format is csv or xlsx');
  if (b.fileName !== undefined && (typeof b.fileName !== 'string' || b.fileName.length > 200)) throw bad('fileName', '文件名不正确', 'fileName is a string of at most 200 characters');
  if (b.key !== undefined && (typeof b.key !== 'string' || !b.key.trim() || b.key.length > 200)) throw bad('key', '导入标识不正确', 'key is a non-empty string of at most 200 characters');
  if (b.submit !== undefined && typeof b.submit !== 'boolean') throw bad('submit', 'submit 应为 true 或 false', 'submit is true or false');

  const def = await ports.directory.currentForm(b.formId);
  if (!def) throw validationError([{ path: 'formId', code: 'unknown-form', message: { zh: '没有此表', en: 'No such form' } }]);
  if (!can(principal, 'submission.write', { sector: def.sector })) throw new DomainError('access.forbidden', `You cannot file ${def.id}`);

  const now = ports.now();
  const id = ports.newId();
  let fileName = (b.fileName as string | undefined)?.trim() || '';
  let format = b.format as ImportFormat | undefined;
  let sourceKey: string;
  let importKey = typeof b.key === 'string' ? b.key.trim() : undefined;
  if (typeof b.uploadId === 'string') {
    const upload = await ports.directory.getJob<UploadJob>('upload', b.uploadId);
    if (!upload || upload.createdBy !== principal.userId) throw new DomainError('resource.not-found', `No upload ${b.uploadId}`);
    if (!(await ports.files.exists(upload.key))) {
      throw validationError([{ path: 'uploadId', code: 'upload-missing', message: { zh: '文件尚未上传完成', en: 'The file has not been uploaded yet' } }]);
    }
    sourceKey = upload.key;
    fileName ||= upload.fileName;
    format ??= upload.format;
    importKey ??= `name:${fileName}`;
  } else {
    const bytes = Buffer.from(b.content as string, 'base64');
    format ??= formatOfName(fileName) ?? sniffFormat(bytes);
    importKey ??= defaultImportKey(fileName || null, bytes);
    sourceKey = `imports/${id}/source.${format}`;
    await ports.files.putStream(sourceKey, Readable.from([bytes]), format === 'csv' ? CONTENT_TYPES.csv : CONTENT_TYPES.xlsx);
  }
  const job: ImportJob = {
    kind: 'import',
    id,
    createdBy: principal.userId,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    formId: def.id,
    format: format ?? 'csv',
    fileName: fileName || `import.${format ?? 'csv'}`,
    sourceKey,
    key: importKey,
    submit: b.submit !== false,
    state: 'validating',
    total: 0,
    valid: 0,
    invalid: 0,
    done: 0,
    phaseTotal: 0,
    ignoredColumns: [],
    errorCount: 0,
    errors: [],
  };
  await saveJob(ports, job);
  await startJob(ports, job, { job: 'validate-import', id, userId: principal.userId });
  return { id };
}
