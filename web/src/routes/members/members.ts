/** Shapes and helpers of the members pages (list, add, detail, import): names for roles, sectors and regions, field errors. */
import { RegionTree, type Region } from '$domain/regions';
import { SECTORS, type SectorId } from '$domain/sectors';
import { ApiError } from '$lib/api';
import { loc, t } from '$lib/i18n.svelte';
import { loadMe } from '$lib/reference';
import { session, type Me } from '$lib/session.svelte';

export type Role = Me['role'];
export const ROLE_IDS: Role[] = ['admin', 'reviewer', 'staff', 'viewer'];

/** A row of GET /api/members. A reviewer sees administrators by name only (no regions). */
export interface Member {
  userId: string;
  username: string;
  displayName: string;
  email?: string;
  phone?: string;
  role: Role;
  sector: SectorId | null;
  regions?: string[];
  status: 'active' | 'disabled';
  lastSignInAt?: string;
}

export type MemberField = 'username' | 'displayName' | 'email' | 'phone' | 'role' | 'sector' | 'regions' | 'status';

export interface MemberChange {
  at: string;
  by: string;
  action: 'created' | 'updated' | 'disabled' | 'enabled' | 'password-reset' | 'password-changed' | 'handover';
  before?: Partial<Record<MemberField, unknown>>;
  after?: Partial<Record<MemberField, unknown>>;
  note?: string;
}

/** GET /api/members/{userId}. */
export interface MemberDetail extends Member {
  version: number;
  history: MemberChange[];
}

/** Staff and reviewers work for one sector; administrators and viewers for none. */
export function needsSector(role: Role | ''): boolean {
  return role === 'staff' || role === 'reviewer';
}

export function sectorName(id: string | null | undefined): string {
  return id ? loc(SECTORS.find((s) => s.id === id)?.name) || id : t('members.noSector');
}

export function roleName(role: string): string {
  return t(`role.${role}`);
}

/** Region codes as names ("青山街道、柳河村"); a county code reads "全区" (the whole district). */
export function regionNames(codes: readonly string[] | undefined, tree: RegionTree): string {
  if (!codes?.length) return '—';
  return codes
    .map((c) => {
      const r = tree.get(c);
      if (!r) return c;
      return r.level === 'county' ? t('members.allRegions') : loc(r.name);
    })
    .join('、');
}

export function treeOf(regions: readonly Region[]): RegionTree {
  return new RegionTree(regions);
}

/** The signed-in profile, loading it once when the page opens before the layout has it. */
export async function currentMe(): Promise<Me | null> {
  if (session.me) return session.me;
  if (!session.token) return null;
  const me = await loadMe();
  session.setMe(me);
  return me;
}

/** A message in both languages, shown in the current one (field errors come localized from the server). */
export type Msg = { key: string; params?: Record<string, string | number> } | { zh: string; en: string };

export function msgText(m: Msg): string {
  return 'key' in m ? t(m.key, m.params) : loc(m);
}

/** The server's field errors by field (`regions[3]` counts as `regions`). */
export function fieldErrorsOf(err: ApiError): Partial<Record<string, Msg[]>> {
  const out: Partial<Record<string, Msg[]>> = {};
  for (const e of err.errors) {
    const path = e.path.replace(/\[\d+\]$/, '');
    (out[path] ??= []).push(e.message);
  }
  return out;
}

/** A failure said for people: offline, not allowed, or the server's words. */
export function describe(err: unknown): string {
  if (err instanceof ApiError && err.network) return t('common.offline');
  if (err instanceof ApiError && err.status === 403) return t('common.forbidden');
  if (err instanceof ApiError && err.errors.length) return err.errors.map((e) => loc(e.message)).join('；');
  return t('common.error', { detail: (err as Error).message });
}

/** Copy text to the clipboard; falls back to a selected field for plain-HTTP office servers (no Clipboard API). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}
