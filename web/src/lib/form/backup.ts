/**
 * A copy of unsaved answers kept on this device (localStorage), so a closed tab, a crash or a dead network never loses
 * work. Written on every change, removed once the server has the same answers. `baseVersion` is the server version the
 * answers were edited from (null: not created yet); a backup is only offered back on top of that same version.
 */
import type { Answers } from '$domain/validate';

const PREFIX = 'risk-census.unsaved.';

export interface Backup {
  formId: string;
  regionCode: string;
  baseVersion: number | null;
  data: Answers;
  at: string;
}

export function readBackup(id: string): Backup | null {
  try {
    const raw = localStorage.getItem(PREFIX + id);
    return raw ? (JSON.parse(raw) as Backup) : null;
  } catch {
    return null;
  }
}

export function writeBackup(id: string, b: Omit<Backup, 'at'>): void {
  try {
    localStorage.setItem(PREFIX + id, JSON.stringify({ ...b, at: new Date().toISOString() }));
  } catch {
    /* storage full or disabled: the server copy is all we have */
  }
}

export function clearBackup(id: string): void {
  try {
    localStorage.removeItem(PREFIX + id);
  } catch {
    /* ignore */
  }
}
