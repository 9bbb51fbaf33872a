/**
 * set-deadline — PUT /api/settings/deadline { date: 'YYYY-MM-DD' | null } (admin) → { date, setBy, setAt }
 *  1. only administrators (403); the body is exactly { date } with a calendar date or null (400/422);
 *  2. store the setting (SETTINGS / deadline); null clears it.
 */
import { DomainError } from '#domain/errors';
import { isCalendarDate } from '#domain/identifiers';
import type { Principal } from '#domain/principal';
import { DEADLINE_SETTING } from './get-deadline';
import type { Ports } from './ports';
import { validationError } from './submission-support';

export async function setDeadline(ports: Ports, principal: Principal, body: unknown) {
  if (principal.role !== 'admin') throw new DomainError('access.forbidden', 'Only administrators set the deadline');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be { date }');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== 'date');
  if (unknown.length) throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`);
  if (!('date' in b)) throw new DomainError('request.malformed', 'date is required (or null to clear it)');
  if (b.date !== null && !(typeof b.date === 'string' && isCalendarDate(b.date))) {
    throw validationError([{ path: 'date', code: 'date', message: { zh: '日期格式应为 YYYY-MM-DD', en: 'Dates are written YYYY-MM-DD' } }]);
  }
  const at = ports.now().toISOString();
  await ports.directory.putSetting(DEADLINE_SETTING, b.date, principal.userId, at);
  return { date: b.date as string | null, setBy: principal.userId, setAt: at };
}
