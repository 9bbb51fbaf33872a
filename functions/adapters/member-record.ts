/** How both stores keep a member: known fields only, with `status` and `version` always present (older rows had neither). */
import type { Member } from '#app/ports';

export function storedMember(m: Member): Member {
  return {
    userId: m.userId,
    username: m.username,
    displayName: m.displayName,
    ...(m.email ? { email: m.email } : {}),
    ...(m.phone ? { phone: m.phone } : {}),
    role: m.role,
    sector: m.sector ?? null,
    regions: m.regions,
    status: m.status ?? 'active',
    version: m.version ?? 1,
    ...(m.sessionsRevokedAt ? { sessionsRevokedAt: m.sessionsRevokedAt } : {}),
    ...(m.keptSession ? { keptSession: m.keptSession } : {}),
    ...(m.lastSignInAt ? { lastSignInAt: m.lastSignInAt } : {}),
    ...(m.createdAt ? { createdAt: m.createdAt } : {}),
    ...(m.createdBy ? { createdBy: m.createdBy } : {}),
    ...(m.updatedAt ? { updatedAt: m.updatedAt } : {}),
  };
}

