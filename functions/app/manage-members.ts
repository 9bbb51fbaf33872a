/**
 * manage-members — the office adds, changes and removes its own people (API.md "Members and accounts").
 *
 * Write order between the Members table and the identity provider (Cognito on AWS; the local identity writes its login
 * record in the same transaction as the member, so it has no in-between state). Every half-finished state has less
 * privilege, never more, and repeating the request finishes it:
 *  - create: the identity first (Cognito: AdminCreateUser with a generated temporary password and the invitation
 *    suppressed), then the Members row. A Cognito user without a Members row can do nothing — every request resolves its
 *    principal from Members. A retry finds the username free in Members, takes the existing Cognito user over (same
 *    `sub`, a new temporary password) and writes the row.
 *  - disable: the Members row first (status disabled, sessions revoked: refused from the next request on), then
 *    AdminDisableUser and AdminUserGlobalSignOut. Sending `status: "disabled"` again repeats the Cognito calls.
 *  - enable: the identity first (AdminEnableUser), then the Members row.
 *  - reset: the local login is replaced with the member in one transaction; on Cognito the member's sessions are
 *    revoked in Members first, then the temporary password is set.
 * Never AdminDeleteUser: a re-created Cognito user gets a new `sub`, and what the member filed names the old one.
 *
 * Every membership change is audited (who, what, before → after) in the same transaction as the change.
 */
import { can } from '#domain/access';
import { DomainError, type FieldError } from '#domain/errors';
import { checkMemberFields, memberDiff, normalizeUsername, type MemberFields } from '#domain/members';
import { checkNewPassword } from '#domain/password-policy';
import type { Principal } from '#domain/principal';
import { contains, countyOf, levelOf } from '#domain/regions';
import { hashPassword, verifyPassword } from '#adapters/identity/local';
import { storedMember } from '#adapters/member-record';
import {
  LastAdmin,
  MEMBER_FIELDS,
  UsernameTaken,
  WriteConflict,
  type LocalLogin,
  type Member,
  type MemberChange,
  type MemberField,
  type Ports,
} from './ports';

/** What the API shows of a member (never the revocation time or the password state). */
export interface MemberView {
  userId: string;
  username: string;
  displayName: string;
  email?: string;
  phone?: string;
  role: Member['role'];
  sector: Member['sector'];
  regions: string[];
  status: 'active' | 'disabled';
  lastSignInAt?: string;
  version: number;
}

export function memberView(m: Member): MemberView {
  const { sessionsRevokedAt: _r, keptSession: _k, createdAt: _c, createdBy: _b, updatedAt: _u, ...shown } = storedMember(m);
  return shown as MemberView;
}

function audited(m: Member): Partial<Pick<Member, MemberField>> {
  const out: Partial<Pick<Member, MemberField>> = {};
  for (const k of MEMBER_FIELDS) if (m[k] !== undefined) (out as Record<string, unknown>)[k] = m[k];
  return out;
}

function requireAdmin(principal: Principal): void {
  if (!can(principal, 'members.manage')) throw new DomainError('access.forbidden', 'Only administrators manage members');
}

function invalid(errors: FieldError[]): DomainError {
  return new DomainError('member.invalid', `${errors.length} field(s) need attention`, errors);
}

function checkBody(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainError('request.malformed', 'The body must be a JSON object');
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new DomainError('request.unknown-key', `Unknown key ${unknown[0]}`, unknown.map((k) => ({ path: k, code: 'unknown-key', message: { zh: '不允许的字段', en: 'Key not allowed here' } })));
  }
  return b;
}

const CREATE_KEYS = ['username', 'displayName', 'role', 'sector', 'regions', 'email', 'phone'];
const UPDATE_KEYS = ['displayName', 'role', 'sector', 'regions', 'email', 'phone', 'status'];

function sameFields(m: Member, f: MemberFields): boolean {
  const mine: MemberFields = { username: m.username, displayName: m.displayName, role: m.role, sector: m.sector ?? null, regions: [...m.regions].sort(), ...(m.email ? { email: m.email } : {}), ...(m.phone ? { phone: m.phone } : {}) };
  const theirs: MemberFields = { ...f, regions: [...f.regions].sort() };
  return JSON.stringify(mine, Object.keys(mine).sort()) === JSON.stringify(theirs, Object.keys(theirs).sort()) && Object.keys(mine).length === Object.keys(theirs).length;
}

/** Check a new member's fields against the district (422 with field paths). */
export async function checkNewMember(ports: Ports, body: unknown): Promise<MemberFields> {
  const b = checkBody(body, CREATE_KEYS);
  const regions = await ports.directory.regions();
  const checked = checkMemberFields(b, regions);
  if (!checked.ok) throw invalid(checked.errors);
  return checked.fields;
}

export interface CreatedMember {
  member: MemberView;
  temporaryPassword?: string;
  /** The answer replays an earlier identical request (no password then). */
  replayed: boolean;
}

/**
 * Create a member from checked fields. The same request again (same fields, same administrator) replays the first
 * answer without the password; another member holding the username → 409.
 */
export async function createMemberFrom(ports: Ports, principal: Principal, fields: MemberFields): Promise<CreatedMember> {
  const existing = await ports.directory.memberByUsername(fields.username);
  if (existing) {
    if (existing.createdBy === principal.userId && sameFields(existing, fields)) return { member: memberView(existing), replayed: true };
    throw new DomainError('member.username-taken', `The username ${fields.username} is taken`, [
      { path: 'username', code: 'taken', message: { zh: '该用户名已被使用', en: 'This username is taken' } },
    ]);
  }
  if (fields.email && (await ports.directory.members()).some((m) => m.email === fields.email)) {
    // On AWS the e-mail is the sign-in name: a second member with it would take over the first one's identity.
    throw new DomainError('member.username-taken', `The e-mail ${fields.email} belongs to another member`, [
      { path: 'email', code: 'taken', message: { zh: '该电子邮箱已属于另一名成员', en: 'This e-mail belongs to another member' } },
    ]);
  }
  const identity = await ports.identity.createUser({ username: fields.username, displayName: fields.displayName, ...(fields.email ? { email: fields.email } : {}), ...(fields.phone ? { phone: fields.phone } : {}) });
  const at = ports.now().toISOString();
  const member: Member = { userId: identity.sub, ...fields, status: 'active', version: 1, createdAt: at, createdBy: principal.userId, updatedAt: at };
  const change: MemberChange = { at, by: principal.userId, action: 'created', after: audited(member) };
  try {
    await ports.directory.createMember(member, change, identity.login);
  } catch (e) {
    if (e instanceof UsernameTaken || e instanceof WriteConflict) {
      // A concurrent identical request won the race: answer as its replay.
      const winner = await ports.directory.memberByUsername(fields.username);
      if (winner && winner.createdBy === principal.userId && sameFields(winner, fields)) return { member: memberView(winner), replayed: true };
      throw new DomainError('member.username-taken', `The username ${fields.username} is taken`, [
        { path: 'username', code: 'taken', message: { zh: '该用户名已被使用', en: 'This username is taken' } },
      ]);
    }
    throw e;
  }
  return { member: memberView(member), ...(identity.temporaryPassword ? { temporaryPassword: identity.temporaryPassword } : {}), replayed: false };
}

/** POST /api/members. */
export async function createMember(ports: Ports, principal: Principal, body: unknown): Promise<CreatedMember> {
  requireAdmin(principal);
  return createMemberFrom(ports, principal, await checkNewMember(ports, body));
}

/**
 * GET /api/members: an administrator sees everyone; a reviewer sees the members of their sector whose regions lie
 * within the reviewer's, and the administrators by name only (who decided on a record is shown in its history).
 */
type MemberName = Pick<MemberView, 'userId' | 'username' | 'displayName' | 'role' | 'sector' | 'status'>;

export async function listMembers(ports: Ports, principal: Principal): Promise<(Omit<MemberView, 'version'> | MemberName)[]> {
  const all = await ports.directory.members();
  const listed = (m: Member): Omit<MemberView, 'version'> => {
    const { version: _v, ...v } = memberView(m);
    return v;
  };
  if (can(principal, 'members.manage')) return all.map(listed);
  if (principal.role === 'reviewer' && principal.sector && can(principal, 'submission.review')) {
    const within = (codes: string[]) => codes.length > 0 && codes.every((c) => principal.regions.some((r) => contains(r, c)));
    return all.flatMap((m): (Omit<MemberView, 'version'> | MemberName)[] => {
      if (m.role === 'admin') return [{ userId: m.userId, username: m.username, displayName: m.displayName, role: m.role, sector: null, status: m.status ?? 'active' }];
      if (m.sector !== principal.sector || !within(m.regions)) return [];
      return [listed(m)];
    });
  }
  throw new DomainError('access.forbidden', 'Only administrators and reviewers list the members');
}

async function load(ports: Ports, userId: string): Promise<Member> {
  const m = await ports.directory.member(userId);
  if (!m) throw new DomainError('resource.not-found', `No member ${userId}`);
  return m;
}

/** GET /api/members/{userId}: the member, its version (ETag) and its audited changes, oldest first. */
export async function getMember(ports: Ports, principal: Principal, userId: string): Promise<MemberView & { history: MemberChange[] }> {
  requireAdmin(principal);
  const m = await load(ports, userId);
  return { ...memberView(m), history: await ports.directory.memberHistory(userId) };
}

export function parseIfMatch(header: string | undefined): number {
  if (header === undefined) throw new DomainError('version.required', 'Send If-Match: "<version>" from GET /api/members/{userId}');
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!m) throw new DomainError('request.bad-parameter', 'If-Match is "<version>"', [{ path: 'If-Match', code: 'format', message: { zh: 'If-Match 应为版本号', en: 'If-Match is the version' } }]);
  return Number(m[1]);
}

/** PUT /api/members/{userId} (If-Match): change role, sector, regions, names and contact, or disable / re-enable. */
export async function updateMember(ports: Ports, principal: Principal, userId: string, ifMatch: string | undefined, body: unknown): Promise<MemberView> {
  requireAdmin(principal);
  const b = checkBody(body, UPDATE_KEYS);
  const expect = parseIfMatch(ifMatch);
  const current = await load(ports, userId);
  if ((current.version ?? 1) !== expect) throw new DomainError('version.stale', 'The member has changed since you read it; read it again');
  if (b.status !== undefined && b.status !== 'active' && b.status !== 'disabled') {
    throw invalid([{ path: 'status', code: 'choice', message: { zh: '状态应为 active 或 disabled', en: 'status is active or disabled' } }]);
  }
  if (b.email !== undefined && ports.identity.kind === 'cognito' && (b.email ?? '') !== (current.email ?? '')) {
    throw invalid([{ path: 'email', code: 'immutable', message: { zh: '云端部署中电子邮箱是登录名，不能修改；请新建成员', en: 'On AWS the e-mail is the sign-in name and cannot change; create a new member' } }]);
  }
  const fields: MemberFields = { username: current.username, displayName: current.displayName, role: current.role, sector: current.sector ?? null, regions: current.regions, ...(current.email ? { email: current.email } : {}), ...(current.phone ? { phone: current.phone } : {}) };
  const checked = checkMemberFields(b, await ports.directory.regions(), fields);
  if (!checked.ok) throw invalid(checked.errors);
  if (checked.fields.email && checked.fields.email !== current.email && (await ports.directory.members()).some((m) => m.userId !== current.userId && m.email === checked.fields.email)) {
    throw invalid([{ path: 'email', code: 'taken', message: { zh: '该电子邮箱已属于另一名成员', en: 'This e-mail belongs to another member' } }]);
  }
  const status = (b.status as Member['status']) ?? current.status ?? 'active';
  const at = ports.now().toISOString();
  const { email: _e, phone: _p, ...keep } = current;
  const next: Member = { ...keep, ...checked.fields, status, version: expect + 1, updatedAt: at };
  if (status === 'disabled' && current.status !== 'disabled') {
    next.sessionsRevokedAt = at;
    delete next.keptSession;
  }
  const diff = memberDiff(audited(current), audited(next));
  const wasDisabled = (current.status ?? 'active') === 'disabled';
  if (!Object.keys(diff.after).length && !Object.keys(diff.before).length) {
    // Nothing to change: a repeated disable finishes the identity side of an earlier one.
    if (status === 'disabled') await ports.identity.disableUser(current);
    return memberView(current);
  }
  const action: MemberChange['action'] = status !== (current.status ?? 'active') ? (status === 'disabled' ? 'disabled' : 'enabled') : 'updated';
  const change: MemberChange = { at, by: principal.userId, action, ...diff };
  if (wasDisabled && status === 'active') await ports.identity.enableUser(current);
  try {
    await ports.directory.updateMember(next, expect, change);
  } catch (e) {
    if (e instanceof LastAdmin) throw new DomainError('member.last-admin', 'The office needs at least one active administrator: make someone else an administrator first');
    if (e instanceof WriteConflict) throw new DomainError('version.stale', 'The member has changed since you read it; read it again');
    throw e;
  }
  if (status === 'disabled' && !wasDisabled) await ports.identity.disableUser(next);
  return memberView(next);
}

/** POST /api/members/{userId}/reset-password: a new temporary password, shown once; the member's sessions end. */
export async function resetPassword(ports: Ports, principal: Principal, userId: string): Promise<{ temporaryPassword?: string }> {
  requireAdmin(principal);
  const current = await load(ports, userId);
  const at = ports.now().toISOString();
  const { keptSession: _kept, ...rest } = current;
  const next: Member = { ...rest, version: (current.version ?? 1) + 1, sessionsRevokedAt: at, updatedAt: at };
  const change: MemberChange = { at, by: principal.userId, action: 'password-reset' };
  const write = async (login?: LocalLogin) => {
    try {
      await ports.directory.updateMember(next, current.version ?? 1, change, login);
    } catch (e) {
      if (e instanceof WriteConflict) throw new DomainError('version.stale', 'The member changed at the same time; try again');
      throw e;
    }
  };
  if (ports.identity.kind === 'local') {
    const r = await ports.identity.resetPassword(current);
    await write(r.login);
    return r.temporaryPassword ? { temporaryPassword: r.temporaryPassword } : {};
  }
  await write();
  const r = await ports.identity.resetPassword(next);
  return r.temporaryPassword ? { temporaryPassword: r.temporaryPassword } : {};
}

/** The district's name, a context word no password may contain. */
async function districtName(ports: Ports, member: Member): Promise<string | undefined> {
  const regions = await ports.directory.regions();
  const county = regions.find((r) => r.level === 'county') ?? regions.find((r) => member.regions[0] && r.code === countyOf(member.regions[0]));
  return county?.name.zh;
}

/** Office setting (等保 2.0): require three character classes. Off by default. */
export function complexityRequired(env: Record<string, string | undefined> = process.env): boolean {
  return env.PASSWORD_COMPLEXITY === 'on';
}

/**
 * POST /api/me/password (local identity): verify the current password, check the new one against the policy, store
 * its hash and end every other session of the member (the one it was made in goes on, unless it was a temporary
 * password's: then the member signs in with the new password).
 */
export async function changeOwnPassword(ports: Ports, principal: Member, body: unknown, session?: { id?: string; mustChange: boolean }): Promise<void> {
  if (ports.identity.kind !== 'local') throw new DomainError('route.not-found', 'Passwords are changed on the sign-in page of the user pool');
  const b = checkBody(body, ['currentPassword', 'newPassword']);
  if (typeof b.currentPassword !== 'string' || !b.currentPassword || b.currentPassword.length > 200) {
    throw invalid([{ path: 'currentPassword', code: 'required', message: { zh: '请输入当前密码', en: 'Enter your current password' } }]);
  }
  if (typeof b.newPassword !== 'string') throw invalid([{ path: 'newPassword', code: 'required', message: { zh: '请输入新密码', en: 'Enter a new password' } }]);
  const login = await ports.directory.localUser(principal.username);
  if (!login || login.sub !== principal.userId || !(await verifyPassword(b.currentPassword, login.passwordHash))) {
    throw invalid([{ path: 'currentPassword', code: 'wrong', message: { zh: '当前密码不正确', en: 'The current password is wrong' } }]);
  }
  const problems = checkNewPassword(
    b.newPassword,
    { username: principal.username, displayName: principal.displayName, districtName: await districtName(ports, principal), currentPassword: b.currentPassword },
    { complexity: complexityRequired() },
  );
  if (problems.length) throw new DomainError('password.rejected', problems[0]!.message.en, problems);
  const current = await load(ports, principal.userId);
  const at = ports.now().toISOString();
  // Every other session ends; the one the change was made in goes on (not a temporary password's, which may only do this).
  const { keptSession: _kept, ...rest } = current;
  const next: Member = { ...rest, version: (current.version ?? 1) + 1, sessionsRevokedAt: at, updatedAt: at, ...(session?.id && !session.mustChange ? { keptSession: session.id } : {}) };
  const newLogin: LocalLogin = { username: login.username, sub: login.sub, passwordHash: await hashPassword(b.newPassword), passwordChangedAt: at };
  try {
    await ports.directory.updateMember(next, current.version ?? 1, { at, by: principal.userId, action: 'password-changed' }, newLogin);
  } catch (e) {
    if (e instanceof WriteConflict) throw new DomainError('version.stale', 'Your account changed at the same time; try again');
    throw e;
  }
}

/**
 * POST /api/members/{userId}/handover { to }: a departed member's drafts and returned records go to another active
 * member of the same sector; records outside the new member's regions stay and are listed as skipped.
 */
export async function handOver(ports: Ports, principal: Principal, userId: string, body: unknown): Promise<{ moved: number; skipped: { id: string; reason: string }[] }> {
  requireAdmin(principal);
  const b = checkBody(body, ['to']);
  if (typeof b.to !== 'string' || !b.to) throw invalid([{ path: 'to', code: 'required', message: { zh: '请选择接手的成员', en: 'Choose who takes over' } }]);
  const from = await load(ports, userId);
  const to = await ports.directory.member(b.to);
  if (!to || (to.status ?? 'active') !== 'active' || b.to === userId) {
    throw invalid([{ path: 'to', code: 'invalid', message: { zh: '接手的成员应为另一名在用成员', en: 'The new member must be another active member' } }]);
  }
  if (to.role !== 'staff' && to.role !== 'admin') throw invalid([{ path: 'to', code: 'role', message: { zh: '只能交接给填报员', en: 'Records can be handed to staff only' } }]);
  if (to.role === 'staff' && from.sector && to.sector !== from.sector) {
    throw invalid([{ path: 'to', code: 'sector', message: { zh: '接手的成员应属于同一行业部门', en: 'The new member must work for the same sector' } }]);
  }
  const regions = await ports.directory.regions();
  const county = regions.find((r) => levelOf(r.code) === 'county')?.code;
  const skipped: { id: string; reason: string }[] = [];
  let moved = 0;
  for (const status of ['draft', 'returned'] as const) {
    let cursor: string | undefined;
    do {
      const page = await ports.submissions.list({ createdBy: userId, status, regions: county ? [county] : [], limit: 100, ...(cursor ? { cursor } : {}) });
      for (const s of page.items) {
        if (!can(to, 'submission.write', { sector: s.sector, regionCode: s.regionCode })) {
          skipped.push({ id: s.id, reason: 'outside the new member’s sector or regions' });
          continue;
        }
        const at = ports.now().toISOString();
        try {
          await ports.submissions.write({
            next: { ...s, createdBy: to.userId, version: s.version + 1, updatedAt: at },
            expect: { version: s.version, status: s.status },
            counters: {},
            audit: [{ at, by: principal.userId, action: 'handed-over', from: s.status, to: s.status, note: `${from.displayName} → ${to.displayName}` }],
          });
          moved++;
        } catch (e) {
          if (!(e instanceof WriteConflict)) throw e;
          skipped.push({ id: s.id, reason: 'changed at the same time; hand over again' });
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  const at = ports.now().toISOString();
  const current = await load(ports, userId);
  await ports.directory
    .updateMember({ ...current, version: (current.version ?? 1) + 1, updatedAt: at }, current.version ?? 1, { at, by: principal.userId, action: 'handover', note: `${moved} → ${to.username}` })
    .catch((e) => {
      if (!(e instanceof WriteConflict)) throw e;
    });
  return { moved, skipped };
}

/** GET /api/members/drift: identities and members that do not match (a half-finished change, or one made outside). */
export async function memberDrift(ports: Ports, principal: Principal) {
  requireAdmin(principal);
  const [members, users] = await Promise.all([ports.directory.members(), ports.identity.users()]);
  const bySub = new Map(users.map((u) => [u.sub, u]));
  const memberIds = new Set(members.map((m) => m.userId));
  const drift: { userId?: string; username: string; problem: 'no-identity' | 'identity-without-member' | 'disabled-member-can-sign-in' | 'active-member-cannot-sign-in' }[] = [];
  for (const m of members) {
    const u = bySub.get(m.userId);
    if (!u) drift.push({ userId: m.userId, username: m.username, problem: 'no-identity' });
    else if (ports.identity.kind === 'cognito' && (m.status ?? 'active') === 'disabled' && u.enabled) drift.push({ userId: m.userId, username: m.username, problem: 'disabled-member-can-sign-in' });
    else if ((m.status ?? 'active') === 'active' && !u.enabled) drift.push({ userId: m.userId, username: m.username, problem: 'active-member-cannot-sign-in' });
  }
  for (const u of users) if (!memberIds.has(u.sub)) drift.push({ username: u.username, problem: 'identity-without-member' });
  return { provider: ports.identity.kind, members: members.length, identities: users.length, drift };
}

export { normalizeUsername };
