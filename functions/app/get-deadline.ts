/**
 * get-deadline — GET /api/settings/deadline → { date: 'YYYY-MM-DD' | null, setBy?, setAt? }
 * The census deadline an administrator set (for the briefing and the burn-down chart); any signed-in user may read it.
 */
import type { Ports } from './ports';

export const DEADLINE_SETTING = 'deadline';

export async function readDeadline(ports: Ports): Promise<{ date: string; setBy: string; setAt: string } | undefined> {
  const s = await ports.directory.getSetting(DEADLINE_SETTING);
  return s && typeof s.value === 'string' ? { date: s.value, setBy: s.by, setAt: s.at } : undefined;
}

export async function getDeadline(ports: Ports) {
  const d = await readDeadline(ports);
  return d ?? { date: null };
}
