/**
 * review-submission — POST /api/submissions/{id}/review with If-Match, body { decision: approve|return, note }.
 * Only a reviewer of the submission's sector whose regions contain it, or an admin (the workflow decides); a return needs
 * a note (422). Declared writability: the body may hold exactly `decision` and `note`.
 */
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import { changeStatus } from './change-status';
import type { Ports, Submission } from './ports';

export const MAX_NOTE = 2000;

export function parseDecisionBody<T extends string>(body: unknown, field: string, allowed: readonly T[]): { value: T; note?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', `The body must be { ${field}, note }`);
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== field && k !== 'note');
  if (unknown.length) {
    throw new DomainError('request.unknown-key', `Only ${field} and note can be sent`, unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  }
  if (typeof b[field] !== 'string' || !allowed.includes(b[field] as T)) {
    throw new DomainError('request.malformed', `${field} must be one of ${allowed.join(', ')}`, [
      { path: field, code: 'choice', message: { zh: `应为 ${allowed.join(' / ')}`, en: `One of ${allowed.join(', ')}` } },
    ]);
  }
  if (b.note !== undefined && b.note !== null && typeof b.note !== 'string') {
    throw new DomainError('request.malformed', 'note must be text', [{ path: 'note', code: 'type', message: { zh: '应为文本', en: 'Must be text' } }]);
  }
  const note = typeof b.note === 'string' ? b.note : undefined;
  if (note && [...note].length > MAX_NOTE) {
    throw new DomainError('validation.failed', 'The note is too long', [{ path: 'note', code: 'too-long', message: { zh: `不能超过 ${MAX_NOTE} 个字符`, en: `At most ${MAX_NOTE} characters` } }]);
  }
  return { value: b[field] as T, ...(note !== undefined ? { note } : {}) };
}

export async function reviewSubmission(ports: Ports, principal: Principal, input: { id: string; ifMatch: number | undefined; body: unknown }): Promise<Submission> {
  const { value, note } = parseDecisionBody(input.body, 'decision', ['approve', 'return'] as const);
  return changeStatus(ports, principal, { id: input.id, ifMatch: input.ifMatch, action: value, note });
}
