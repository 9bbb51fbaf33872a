/**
 * create-attachment — POST /api/submissions/{id}/attachments { field, contentType, size, fileName }
 * The caller must be able to edit the submission (draft or returned); the field must be a photo/file field of its form;
 * the content type must be one the field accepts and the size within its limit (422). Returns a presigned POST that
 * only accepts exactly this key, this content type and at most the declared size.
 */
import { can } from '#domain/access';
import { DomainError, type FieldError } from '#domain/errors';
import { allFields } from '#domain/form-fields';
import type { Principal } from '#domain/principal';
import { transition } from '#domain/workflow';
import { attachmentKey, type Ports, type UploadGrant } from './ports';
import { loadVisible, validationError } from './submission-support';

const KEYS = ['field', 'contentType', 'size', 'fileName'];

export async function createAttachment(ports: Ports, principal: Principal, input: { id: string; body: unknown }): Promise<{ attachmentId: string; upload: UploadGrant }> {
  const b = input.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new DomainError('request.malformed', 'The body must be { field, contentType, size, fileName }');
  const body = b as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`, unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  const errors: FieldError[] = [];
  const err = (path: string, zh: string, en: string) => errors.push({ path, code: 'invalid', message: { zh, en } });
  if (typeof body.field !== 'string') err('field', '缺少字段名', 'field is required');
  if (typeof body.contentType !== 'string') err('contentType', '缺少文件类型', 'contentType is required');
  if (typeof body.size !== 'number' || !Number.isInteger(body.size) || body.size < 1) err('size', '文件大小不正确', 'size is a positive integer (bytes)');
  if (body.fileName !== undefined && (typeof body.fileName !== 'string' || body.fileName.length > 255)) err('fileName', '文件名不正确', 'fileName is text up to 255 characters');
  if (errors.length) throw new DomainError('request.malformed', 'Invalid attachment request', errors);

  const s = await loadVisible(ports, principal, input.id);
  if (!can(principal, 'submission.write', { sector: s.sector, regionCode: s.regionCode })) throw new DomainError('access.forbidden', 'You cannot edit this submission');
  transition(s, 'update', principal);
  const form = await ports.directory.formVersion(s.formId, s.formVersion);
  const field = form && allFields(form).find((x) => x.field.name === body.field)?.field;
  if (!field || (field.type !== 'photo' && field.type !== 'file')) {
    throw validationError([{ path: 'field', code: 'not-attachment', message: { zh: '此项不能上传文件', en: 'This field does not take files' } }]);
  }
  const contentType = String(body.contentType).toLowerCase();
  if (!field.accept.includes(contentType)) {
    throw validationError([{ path: 'contentType', code: 'content-type', message: { zh: `只接受 ${field.accept.join('、')}`, en: `Accepted: ${field.accept.join(', ')}` } }]);
  }
  if ((body.size as number) > field.maxSize) {
    throw validationError([{ path: 'size', code: 'too-large', message: { zh: `文件不能超过 ${Math.round(field.maxSize / 1048576)} MB`, en: `At most ${Math.round(field.maxSize / 1048576)} MB` } }]);
  }
  const attachmentId = ports.newId();
  const upload = await ports.files.presignUpload(attachmentKey(s.id, attachmentId), contentType, body.size as number, {
    field: field.name,
    'uploaded-by': principal.userId,
    ...(typeof body.fileName === 'string' ? { 'file-name': body.fileName } : {}),
  });
  return { attachmentId, upload };
}
