/**
 * Who is calling. Resolved by the HTTP layer from our own Members table (keyed by the identity's `sub`), never from
 * user-editable token attributes. `access.ts` decides what a principal may do; `workflow.ts` which status changes.
 */
import type { SectorId } from './sectors';

export const ROLES = ['admin', 'reviewer', 'staff', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  userId: string;
  username?: string;
  role: Role;
  /** The sector a reviewer or staff member works for; null for admin and viewer (and ignored for them). */
  sector: SectorId | null;
  /**
   * Region scope: 12-digit codes, each the root of a subtree the principal may act in (a county code covers the whole
   * district). Empty means nothing region-bound is visible (except to an admin, who is not region-bound).
   */
  regions: string[];
}

export function isRole(r: unknown): r is Role {
  return typeof r === 'string' && (ROLES as readonly string[]).includes(r);
}
