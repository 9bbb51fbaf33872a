/**
 * Membership rules, pure (the server's member use cases and the bulk import use them; the web app may too):
 * what a username, display name, e-mail and phone look like, which roles need a sector, and which regions a member may
 * be given. Every problem is a field error with a path and zh/en messages.
 */
import type { FieldError } from './errors';
import { isRole, type Role } from './principal';
import type { Region } from './regions';
import { isSectorId as isSector, type SectorId } from './sectors';

export interface MemberFields {
  username: string;
  displayName: string;
  role: Role;
  sector: SectorId | null;
  regions: string[];
  email?: string;
  phone?: string;
}

/** Lower-case letters, digits and . _ - @, 3 to 64 characters, starting with a letter or digit (an e-mail works too). */
export const USERNAME = /^[a-z0-9][a-z0-9._@-]{2,63}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
/** Mainland mobile or landline numbers, with optional +86, spaces and dashes. */
const PHONE = /^\+?[0-9][0-9 -]{4,19}$/;

/** Roles that work for one sector. */
export function needsSector(role: Role): boolean {
  return role === 'staff' || role === 'reviewer';
}

function err(path: string, code: string, zh: string, en: string): FieldError {
  return { path, code, message: { zh, en } };
}

export function normalizeUsername(u: string): string {
  return u.normalize('NFC').trim().toLowerCase();
}

/**
 * Check a member's fields (create: all required ones; update: the given ones merged over `current`). Returns the
 * normalised fields, or the errors. `regions` must exist in the district; staff, reviewers and viewers need at least
 * one; administrators are not region-bound (their list may be empty).
 */
export function checkMemberFields(
  input: Record<string, unknown>,
  districtRegions: readonly Region[],
  current?: MemberFields,
): { ok: true; fields: MemberFields } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const has = (k: string) => input[k] !== undefined;

  let username = current?.username ?? '';
  if (!current) {
    if (typeof input.username !== 'string' || !input.username.trim()) errors.push(err('username', 'required', '请填写用户名', 'username is required'));
    else {
      username = normalizeUsername(input.username);
      if (!USERNAME.test(username)) {
        errors.push(err('username', 'format', '用户名为 3–64 位小写字母、数字或 . _ - @，以字母或数字开头', 'username: 3–64 lower-case letters, digits or . _ - @, starting with a letter or digit'));
      }
    }
  }

  let displayName = current?.displayName ?? '';
  if (has('displayName') || !current) {
    if (typeof input.displayName !== 'string' || !input.displayName.trim()) errors.push(err('displayName', 'required', '请填写姓名', 'displayName is required'));
    else if ([...input.displayName.trim()].length > 50) errors.push(err('displayName', 'too-long', '姓名不能超过 50 个字符', 'displayName: at most 50 characters'));
    else displayName = input.displayName.normalize('NFC').trim();
  }

  let role: Role | undefined = current?.role;
  if (has('role') || !current) {
    if (!isRole(input.role)) errors.push(err('role', 'choice', '角色应为管理员、审核员、填报员或查看者', 'role is admin, reviewer, staff or viewer'));
    else role = input.role;
  }

  let sector: SectorId | null = current?.sector ?? null;
  if (has('sector')) {
    if (input.sector === null || input.sector === '') sector = null;
    else if (!isSector(input.sector)) errors.push(err('sector', 'choice', '不是有效的行业部门', 'Not a sector'));
    else sector = input.sector;
  }
  if (role) {
    if (needsSector(role) && !sector && !errors.some((e) => e.path === 'sector')) {
      errors.push(err('sector', 'required', '审核员和填报员需要选择所属行业部门', 'Reviewers and staff need a sector'));
    }
    // Administrators and viewers work for no sector: a sector given with such a role is an error, a kept one is dropped.
    if (!needsSector(role)) {
      if (has('sector') && sector) errors.push(err('sector', 'not-allowed', '管理员和查看者不属于某个行业部门', 'Administrators and viewers have no sector'));
      sector = null;
    }
  }

  let regions = current?.regions ?? [];
  if (has('regions') || !current) {
    if (!Array.isArray(input.regions) || input.regions.some((c) => typeof c !== 'string')) {
      errors.push(err('regions', 'type', '负责区域应为区划代码列表', 'regions is a list of region codes'));
    } else {
      const known = new Set(districtRegions.map((r) => r.code));
      const codes = [...new Set((input.regions as string[]).map((c) => c.trim()))];
      codes.forEach((c, i) => {
        if (!known.has(c)) errors.push(err(`regions[${i}]`, 'region', `本区县没有区划代码 ${c}`, `No region ${c} in this district`));
      });
      if (codes.length > 200) errors.push(err('regions', 'too-many', '负责区域最多 200 个', 'At most 200 regions'));
      regions = codes.sort();
    }
  }
  if (role && role !== 'admin' && regions.length === 0 && !errors.some((e) => e.path.startsWith('regions'))) {
    errors.push(err('regions', 'required', '请选择至少一个负责区域', 'Choose at least one region'));
  }

  const fields: MemberFields = { username, displayName, role: role ?? 'viewer', sector, regions };
  for (const [key, re, zh, en] of [
    ['email', EMAIL, '电子邮箱格式不正确', 'Not an e-mail address'],
    ['phone', PHONE, '电话号码格式不正确', 'Not a phone number'],
  ] as const) {
    const prior = current?.[key];
    if (!has(key)) {
      if (prior) fields[key] = prior;
      continue;
    }
    const v = input[key];
    if (v === null || v === '') continue;
    if (typeof v !== 'string' || !re.test(v.trim())) errors.push(err(key, 'format', zh, en));
    else fields[key] = key === 'email' ? v.trim().toLowerCase() : v.trim();
  }
  return errors.length ? { ok: false, errors } : { ok: true, fields };
}

/** The fields two versions of a member differ in: before → after, for the audit. */
export function memberDiff<T extends Partial<MemberFields> & { status?: string }>(before: T, after: T): { before: Partial<T>; after: Partial<T> } {
  const b: Partial<T> = {};
  const a: Partial<T> = {};
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof T>;
  for (const k of keys) {
    if (JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null)) {
      b[k] = before[k];
      a[k] = after[k];
    }
  }
  return { before: b, after: a };
}
