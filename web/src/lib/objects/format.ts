/** Display helpers of the object screens: status labels, distances, the staff member an object is assigned to. */
import { fmtNumber, t } from '$lib/i18n.svelte';
import type { ObjectStatus } from '$domain/objects';

export function statusLabel(s: ObjectStatus | string): string {
  return t(`objects.status.${s}`);
}

/** 850 m, 1.2 km, 12 km: field staff read distances at a glance. */
export function fmtDistance(m: number): string {
  if (!Number.isFinite(m)) return '—';
  if (m < 1000) return `${fmtNumber(Math.round(m / 10) * 10)} m`;
  return `${fmtNumber(m < 10_000 ? Math.round(m / 100) / 10 : Math.round(m / 1000))} km`;
}
