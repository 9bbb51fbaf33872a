/** Shared steps of the submission use cases: visibility, request fingerprints, the public view, attachment checks. */
import { createHash } from 'node:crypto';
import { can } from '#domain/access';
import { DomainError, type FieldError } from '#domain/errors';
import { allFields } from '#domain/form-fields';
import type { FormDefinition } from '#domain/forms';
import type { Principal } from '#domain/principal';
import { attachmentKey, type HistoryEntry, type Ports, type Submission } from './ports';

/** Load a submission the caller may read; anything else is 404 (reads never reveal that a record exists). */
export async function loadVisible(ports: Ports, principal: Principal, id: string): Promise<Submission> {
  const s = await ports.submissions.get(id);
  if (!s || !can(principal, 'submission.read', { sector: s.sector, regionCode: s.regionCode })) {
    throw new DomainError('resource.not-found', `No submission ${id}`);
  }
  return s;
}

/** Stable JSON: keys sorted, so the same content always gives the same fingerprint. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Fingerprint of a write request: a retry of the same request by the same user is recognised by it. */
export function requestKey(parts: Record<string, unknown>): string {
  return sha256(canonicalJson(parts));
}

export function isReplay(s: Submission, key: string, userId: string): boolean {
  return s.lastWrite?.key === key && s.lastWrite.by === userId;
}

export interface SubmissionView extends Omit<Submission, 'lastWrite'> {
  history?: HistoryEntry[];
}

export function view(s: Submission, history?: HistoryEntry[]): SubmissionView {
  const { lastWrite: _ignored, ...rest } = s;
  return history ? { ...rest, history } : rest;
}

export function etag(s: Submission): string {
  return `"${s.version}"`;
}

/** Parse `If-Match: "<version>"` (also accepts W/ and bare numbers); undefined when absent; 400 when unreadable. */
export function parseIfMatch(headers: Record<string, string>): number | undefined {
  const raw = headers['if-match'];
  if (raw === undefined) return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!m) throw new DomainError('request.bad-parameter', 'If-Match must be the version from the ETag, e.g. "3"');
  return Number(m[1]);
}

/** Attachment ids referenced by the answers, with the path of each reference. */
export function referencedAttachments(def: FormDefinition, data: Record<string, unknown>): { id: string; path: string }[] {
  const out: { id: string; path: string }[] = [];
  const collect = (v: unknown, path: string) => {
    if (typeof v === 'string') out.push({ id: v, path });
    else if (Array.isArray(v)) v.forEach((x, i) => typeof x === 'string' && out.push({ id: x, path: `${path}[${i}]` }));
  };
  for (const { field, parent } of allFields(def)) {
    if (field.type !== 'photo' && field.type !== 'file') continue;
    if (parent) {
      const rows = data[parent.name];
      if (Array.isArray(rows)) rows.forEach((row, i) => collect((row as Record<string, unknown>)?.[field.name], `data.${parent.name}[${i}].${field.name}`));
    } else collect(data[field.name], `data.${field.name}`);
  }
  return out;
}

/** Submit-time check that every referenced attachment was uploaded under this submission (HeadObject each). */
export async function checkAttachments(ports: Ports, submissionId: string, def: FormDefinition, data: Record<string, unknown>): Promise<string[]> {
  const refs = referencedAttachments(def, data);
  const missing: FieldError[] = [];
  await Promise.all(
    refs.map(async (r) => {
      if (!(await ports.files.exists(attachmentKey(submissionId, r.id)))) {
        missing.push({ path: r.path, code: 'attachment-missing', message: { zh: '附件尚未上传', en: 'The attachment has not been uploaded' } });
      }
    }),
  );
  if (missing.length) throw new DomainError('attachment.missing', 'Upload every attachment before submitting', missing);
  return refs.map((r) => r.id);
}

export function validationError(errors: FieldError[]): DomainError {
  return new DomainError('validation.failed', `${errors.length} answer(s) need attention`, errors);
}

/** The object a record names already has a live record, or is closed (409 on `objectId`). */
export function objectTaken(objectId: string): DomainError {
  return new DomainError('object.taken', `Survey object ${objectId} already has a record that is not voided, or is closed`, [
    { path: 'objectId', code: 'object-taken', message: { zh: '该调查对象已有记录或已关闭', en: 'This object already has a record, or is closed' } },
  ]);
}
