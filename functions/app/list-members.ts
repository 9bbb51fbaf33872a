/**
 * list-members — GET /api/members: who works in the census office.
 *  1. An administrator (`members.manage`) gets every member: username, display name, role, sector and regions, by username.
 *  2. A reviewer gets only names — userId, username, display name, role, sector; no regions — of the members of their own
 *     sector and of the administrators: enough to show who filed a record and who decided on it, in the queue and in a
 *     record's history, which carry user ids only.
 *  3. Anyone else: 403 (the route's role list already refuses staff and viewers).
 */
import { can } from '#domain/access';
import { DomainError } from '#domain/errors';
import type { Principal } from '#domain/principal';
import type { Member, Ports } from './ports';

export type MemberName = Pick<Member, 'userId' | 'username' | 'displayName' | 'role' | 'sector'>;

export async function listMembers(ports: Ports, principal: Principal): Promise<Member[] | MemberName[]> {
  if (can(principal, 'members.manage')) {
    return (await ports.directory.members()).map((m) => ({ userId: m.userId, username: m.username, displayName: m.displayName, role: m.role, sector: m.sector, regions: m.regions }));
  }
  if (principal.role === 'reviewer' && principal.sector && can(principal, 'submission.review')) {
    const all = await ports.directory.members();
    return all
      .filter((m) => m.role === 'admin' || m.sector === principal.sector)
      .map((m) => ({ userId: m.userId, username: m.username, displayName: m.displayName, role: m.role, sector: m.sector }));
  }
  throw new DomainError('access.forbidden', 'Only administrators list the members');
}
