/**
 * save-submission — PUT /api/submissions/{id}[?submit=true]
 *  1. check the body shape: { formId, regionCode, data } and optionally formVersion (400 otherwise);
 *  2. without If-Match it is a create: an unused id is created (201); the same request again is replayed; other content → 409;
 *     with If-Match it is an update: a stale version → 412, unless it is a retry of the last successful write (replayed);
 *  3. authorize: the caller writes this form's sector in this region (403); formId/regionCode never change (409);
 *     only draft and returned submissions can be edited (409);
 *  4. validate: types and shapes always; with submit=true every required field and rule, and every attachment exists (422);
 *  Versions: a create is filed under `formVersion` when given (the version the client rendered — an outbox item made
 *     offline under an old version still syncs under it), else the current one; a retired form takes no creates (409).
 *     An update keeps the record's version unless `formVersion` names a newer one: the record moves to it (the client
 *     carried the answers over by field name) and is validated against it.
 *  5. commit the record, the progress counters and the audit entries in one transaction.
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { contains, isRegionCode, levelOf } from '#domain/regions';
import { transition } from '#domain/workflow';
import { isUuid } from '#domain/identifiers';
import { validate } from '#domain/validate';
import { objectEffect, parseObjectId } from '#domain/objects';
import { ObjectTaken, WriteConflict, type HistoryEntry, type Ports, type Submission, type SubmissionWrite } from './ports';
import { checkAttachments, isReplay, objectTaken, requestKey, sha256, canonicalJson, validationError } from './submission-support';

export interface SaveSubmissionInput {
  id: string;
  body: unknown;
  ifMatch: number | undefined;
  submit: boolean;
}

export interface SaveResult {
  status: 200 | 201;
  submission: Submission;
}

const BODY_KEYS = ['formId', 'regionCode', 'data'];
const OPTIONAL_KEYS = ['formVersion', 'objectId'];

/** Largest stored submission record (its JSON, UTF-8), well under DynamoDB's 400 KB item limit (index keys and names add a little). */
export const MAX_STORED_BYTES = 350 * 1024;

function parseBody(body: unknown): { formId: string; regionCode: string; data: Record<string, unknown>; formVersion?: number; objectId?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('request.malformed', 'The body must be a JSON object { formId, regionCode, data }');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !BODY_KEYS.includes(k) && !OPTIONAL_KEYS.includes(k));
  if (unknown.length) {
    throw new DomainError(
      'request.unknown-key',
      `Only formId, regionCode, data, formVersion and objectId can be sent; not ${unknown.join(', ')}`,
      unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })),
    );
  }
  const missing = BODY_KEYS.filter((k) => b[k] === undefined);
  if (missing.length) {
    throw new DomainError(
      'request.malformed',
      `Missing ${missing.join(', ')}`,
      missing.map((k) => ({ path: k, code: 'required', message: { zh: '缺少此项', en: 'Missing' } })),
    );
  }
  if (typeof b.formId !== 'string' || typeof b.regionCode !== 'string') {
    throw new DomainError('request.malformed', 'formId and regionCode are strings');
  }
  if (typeof b.data !== 'object' || b.data === null || Array.isArray(b.data)) {
    throw new DomainError('request.malformed', 'data must be an object of answers', [{ path: 'data', code: 'type', message: { zh: '应为对象', en: 'Must be an object' } }]);
  }
  if (b.formVersion !== undefined && !(Number.isInteger(b.formVersion) && (b.formVersion as number) >= 1)) {
    throw new DomainError('request.malformed', 'formVersion is a published version number', [
      { path: 'formVersion', code: 'type', message: { zh: '应为正整数', en: 'Must be a positive integer' } },
    ]);
  }
  if (b.objectId !== undefined && (typeof b.objectId !== 'string' || !parseObjectId(b.objectId))) {
    throw new DomainError('request.malformed', 'objectId is the id of a survey object', [
      { path: 'objectId', code: 'type', message: { zh: '应为调查对象编号', en: 'Must be a survey object id' } },
    ]);
  }
  return {
    formId: b.formId,
    regionCode: b.regionCode,
    data: b.data as Record<string, unknown>,
    ...(b.formVersion !== undefined ? { formVersion: b.formVersion as number } : {}),
    ...(b.objectId !== undefined ? { objectId: b.objectId as string } : {}),
  };
}

/** The version a write is validated and filed under (see the header: creates, moves, and otherwise the record's own). */
async function formFor(ports: Ports, existing: Submission | undefined, body: { formId: string; formVersion?: number }) {
  const unknownVersion = () =>
    validationError([{ path: 'formVersion', code: 'unknown-version', message: { zh: '此表没有该版本', en: 'This form has no such version' } }]);
  if (existing) {
    if (body.formVersion === undefined || body.formVersion === existing.formVersion) return ports.directory.formVersion(existing.formId, existing.formVersion);
    if (body.formVersion < existing.formVersion) {
      throw validationError([{ path: 'formVersion', code: 'older-version', message: { zh: '记录不能改回旧版本', en: 'A record cannot move back to an older version' } }]);
    }
    const target = await ports.directory.formVersion(existing.formId, body.formVersion);
    if (!target) throw unknownVersion();
    return target;
  }
  const current = await ports.directory.currentForm(body.formId);
  if (!current) return undefined;
  if (await ports.directory.formRetired(body.formId)) throw new DomainError('form.retired', `${body.formId} is retired and takes no new records`);
  if (body.formVersion === undefined || body.formVersion === current.version) return current;
  if (body.formVersion > current.version) throw unknownVersion();
  return (await ports.directory.formVersion(body.formId, body.formVersion)) ?? Promise.reject(unknownVersion());
}

export async function saveSubmission(ports: Ports, principal: Principal, input: SaveSubmissionInput): Promise<SaveResult> {
  if (!isUuid(input.id)) throw new DomainError('request.bad-parameter', 'Submission ids are client-generated UUIDs');
  const body = parseBody(input.body);
  const key = requestKey({ op: 'put', submit: input.submit, ifMatch: input.ifMatch ?? null, ...body });
  // A create retried with the same content is recognised whatever If-Match it carries.
  const createKey = requestKey({ op: 'put', submit: input.submit, ifMatch: null, ...body });

  for (let attempt = 0; attempt < 4; attempt++) {
    // A create (no If-Match) is first tried without reading the id: the transaction's attribute_not_exists(id) condition
    // is the check, so a new submission costs one round trip less. When that write's condition fails, or the request is
    // refused, the stored record is read and everything is decided again as below (replay, 409, or the same refusal).
    const optimistic = attempt === 0 && input.ifMatch === undefined;
    try {
      const existing = optimistic ? undefined : await ports.submissions.get(input.id);
      const visible = existing && can(principal, 'submission.read', { sector: existing.sector, regionCode: existing.regionCode });

      if (input.ifMatch === undefined) {
        if (existing) {
          if (isReplay(existing, createKey, principal.userId)) {
            return { status: existing.lastWrite?.status === 201 ? 201 : 200, submission: existing };
          }
          if (!visible) throw new DomainError('submission.conflict', 'This id is already taken; generate a new one');
          throw new DomainError('submission.conflict', 'A different submission already has this id; send If-Match to update it');
        }
      } else {
        if (!existing || !visible) throw new DomainError('resource.not-found', `No submission ${input.id}`);
        if (isReplay(existing, key, principal.userId)) return { status: 200, submission: existing };
      }

      const form = await formFor(ports, existing, body);
      if (!form) {
        throw validationError([{ path: 'formId', code: 'unknown-form', message: { zh: '没有此表', en: 'No such form' } }]);
      }
      if (!can(principal, 'submission.write', { sector: form.sector, regionCode: body.regionCode })) {
        throw new DomainError('access.forbidden', `You cannot write ${form.id} in region ${body.regionCode}`);
      }
      if (existing) {
        if (existing.formId !== body.formId || existing.regionCode !== body.regionCode) {
          throw new DomainError('submission.immutable-key', 'formId and regionCode cannot change after create');
        }
        if (body.objectId !== undefined && body.objectId !== existing.objectId) {
          throw new DomainError('submission.immutable-key', 'A record keeps the survey object it was created for');
        }
        if (existing.version !== input.ifMatch) throw new DomainError('version.stale', `The current version is ${existing.version}`);
      } else if (body.objectId !== undefined) {
        await checkObjectFree(ports, body.objectId, form.id, body.regionCode);
      }

      const regions = await ports.directory.regions();
      if (!isRegionCode(body.regionCode) || !regions.some((r) => r.code === body.regionCode) || levelOf(body.regionCode) !== form.regionLevel) {
        throw validationError([
          { path: 'regionCode', code: 'region', message: { zh: `应为本区的${form.regionLevel}级区划`, en: `Must be a ${form.regionLevel} of this district` } },
        ]);
      }

      const now = ports.now().toISOString();
      const audit: HistoryEntry[] = [];
      const from = existing?.status ?? null;
      if (existing) transition(existing, 'update', principal);

      const regionExists = (c: string) => regions.some((r) => r.code === c);
      const draft = validate(form, body.data, { mode: input.submit ? 'submit' : 'draft', regionExists });
      if (!draft.ok) throw validationError(draft.errors);
      let attachments = existing?.attachments ?? [];
      if (input.submit) attachments = await checkAttachments(ports, input.id, form, draft.data);

      let status = existing?.status ?? 'draft';
      audit.push({ at: now, by: principal.userId, action: existing ? 'updated' : 'created', from, to: status });
      if (input.submit) {
        const t = transition({ status, sector: form.sector, regionCode: body.regionCode, createdBy: existing?.createdBy ?? principal.userId }, 'submit', principal);
        audit.push({ at: now, by: principal.userId, action: 'submitted', from: status, to: t.to });
        status = t.to;
      }

      const httpStatus = existing ? 200 : 201;
      const next: Submission = {
        id: input.id,
        formId: form.id,
        formVersion: form.version,
        sector: form.sector,
        part: form.part,
        regionCode: body.regionCode,
        status,
        version: (existing?.version ?? 0) + 1,
        data: draft.data,
        attachments,
        createdBy: existing?.createdBy ?? principal.userId,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        ...(status === 'submitted' ? { submittedAt: now } : existing?.submittedAt ? { submittedAt: existing.submittedAt } : {}),
        ...(existing?.reviewNote ? { reviewNote: existing.reviewNote } : {}),
        ...((existing?.objectId ?? body.objectId) ? { objectId: existing?.objectId ?? body.objectId } : {}),
        contentHash: sha256(canonicalJson(draft.data)),
        lastWrite: { key: existing ? key : createKey, by: principal.userId, status: httpStatus },
      };
      // DynamoDB refuses items over 400 KB (a 500 if it got that far). The body limit (256 KB) bounds what is sent, but
      // stored answers can be larger than the body: NFC normalisation expands some characters (U+1D160 → 3 code points,
      // 4 → 12 bytes), so the stored record is measured here and refused as too large, before anything is written.
      const storedBytes = Buffer.byteLength(JSON.stringify(next), 'utf8');
      if (storedBytes > MAX_STORED_BYTES) {
        throw new DomainError(
          'request.too-large',
          `The answers take ${Math.ceil(storedBytes / 1024)} KB once stored; a submission holds at most ${MAX_STORED_BYTES / 1024} KB`,
        );
      }
      const counters: SubmissionWrite['counters'] = {};
      if (!existing) counters[status] = 1;
      else if (existing.status !== status) {
        counters[existing.status] = -1;
        counters[status] = 1;
      }
      const object = objectEffect(next.objectId, existing?.status ?? null, status);
      await ports.submissions.write({ next, expect: existing ? { version: existing.version, status: existing.status } : { create: true }, counters, audit, ...(object ? { object } : {}) });
      return { status: httpStatus, submission: next };
    } catch (e) {
      if (e instanceof ObjectTaken && !optimistic) throw objectTaken(e.objectId);
      if (optimistic && (e instanceof DomainError || e instanceof ObjectTaken)) continue;
      if (!(e instanceof WriteConflict)) throw e;
      // Someone wrote first (or the id was taken): re-read and decide again (replay, 409 or 412).
    }
  }
  throw new DomainError('version.stale', 'The submission changed while saving; reload and try again');
}

/** Region check used by list filters: is `code` inside the caller's scope or containing it? */
export function overlaps(scope: string, code: string): boolean {
  return contains(scope, code) || contains(code, scope);
}


/** The object a new record names: of this form and region (422), and pending with no live record (409). */
async function checkObjectFree(ports: Ports, objectId: string, formId: string, regionCode: string): Promise<void> {
  const o = await ports.objects.get(objectId);
  if (!o || o.formId !== formId || o.regionCode !== regionCode) {
    throw validationError([
      { path: 'objectId', code: 'object', message: { zh: '本表本区划中没有该调查对象', en: 'No such survey object of this form in this region' } },
    ]);
  }
  if (o.status !== 'pending' || o.submissionId) throw objectTaken(objectId);
}
