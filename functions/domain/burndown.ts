/**
 * The district's burn-down: how many records are still to be completed on each day a progress snapshot was kept
 * (record-snapshot), the ideal line to the deadline an administrator set, and where the pace so far leads.
 *
 * - Remaining on a day is the snapshot's `total.remaining` (Σtarget − Σdone, the figure /api/progress gives).
 * - The ideal line starts at the first snapshot's remaining on its day and falls in a straight line to 0 on the deadline
 *   (0 after it). There is none when the deadline is not after the first snapshot's day.
 * - The pace is the average fall of remaining per day from the first snapshot to the latest: the straight line through
 *   the two. A raised target slows it, as it should (more is left to do). Unknown with fewer than two snapshot days.
 * - The projection continues from the latest snapshot at that pace and reaches 0 on `finish` = latest day +
 *   ceil(remaining / pace). With a pace of 0 or less nothing is projected to finish (`stalled`).
 * - `late` when the finish falls after the deadline; `overdue` when it does not, but the deadline has passed anyway (the
 *   latest snapshot is older than today and promised an earlier finish that today's figures have not confirmed).
 *
 * Days are `YYYY-MM-DD` calendar days in China Standard Time, as snapshots are dated; differences are whole days.
 */
import { daysBetween } from './briefing';

export interface BurndownSnapshot {
  /** YYYY-MM-DD (China Standard Time). */
  date: string;
  total: { target: number; remaining: number };
}

/** One row of the chart's data, oldest first: a snapshot day, the deadline, or the projected finish. */
export interface BurndownRow {
  date: string;
  /** Remaining on a snapshot day; null on the other rows. */
  remaining: number | null;
  /** The ideal line on this day (whole records); null without an ideal line. */
  ideal: number | null;
  /** The projection from the latest snapshot on (whole records); null before it or without a pace. */
  projected: number | null;
}

export type BurndownStatus =
  /** No snapshot yet. */
  | 'no-data'
  /** The latest snapshot has no target: nothing to burn down. */
  | 'no-target'
  /** Nothing remains. */
  | 'complete'
  /** One snapshot day only: no pace yet. */
  | 'too-early'
  /** Remaining has not fallen since the first snapshot. */
  | 'stalled'
  /** A finish date, but no deadline to compare it with. */
  | 'projected'
  | 'on-track'
  /** The finish falls after the deadline. */
  | 'late'
  /** The deadline has passed with records remaining, although the finish does not fall after it (see above). */
  | 'overdue';

export interface Burndown {
  status: BurndownStatus;
  rows: BurndownRow[];
  first: { date: string; remaining: number } | null;
  latest: { date: string; target: number; remaining: number } | null;
  deadline: string | null;
  /** Whole days from `today` to the deadline; negative once it has passed; null without a deadline. */
  daysLeft: number | null;
  /** Records per day by which remaining fell (may be 0 or negative); null with fewer than two snapshot days. */
  pace: number | null;
  /** The day remaining reaches 0 at that pace: set for projected, on-track, late and overdue (a positive pace). */
  finish: string | null;
}

/** `YYYY-MM-DD` of an instant in China Standard Time (UTC+8, no daylight saving), the day snapshots are filed under. */
export function chinaDay(at: Date): string {
  return new Date(at.getTime() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10);
}

/** The calendar day `n` days after `date` (YYYY-MM-DD). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** One snapshot per day (the last one given for a day), oldest first. */
function byDay(snapshots: readonly BurndownSnapshot[]): BurndownSnapshot[] {
  const days = new Map<string, BurndownSnapshot>();
  for (const s of snapshots) days.set(s.date, s);
  return [...days.values()].sort((a, b) => a.date.localeCompare(b.date));
}

/**
 * The burn-down of the given snapshots (any order) against `deadline` (YYYY-MM-DD or null), seen on `today`.
 * Rows are the snapshot days, then the deadline and the projected finish when they fall after the latest snapshot
 * (the finish only when it is not after the deadline, so the chart ends at the deadline or the latest snapshot).
 */
export function burndown(snapshots: readonly BurndownSnapshot[], deadline: string | null, today: string): Burndown {
  const snaps = byDay(snapshots);
  const daysLeft = deadline ? daysBetween(today, deadline) : null;
  const firstSnap = snaps[0];
  const lastSnap = snaps.at(-1);
  if (!firstSnap || !lastSnap) return { status: 'no-data', rows: [], first: null, latest: null, deadline, daysLeft, pace: null, finish: null };

  const first = { date: firstSnap.date, remaining: firstSnap.total.remaining };
  const latest = { date: lastSnap.date, target: lastSnap.total.target, remaining: lastSnap.total.remaining };
  const span = daysBetween(first.date, latest.date);
  const pace = span > 0 ? (first.remaining - latest.remaining) / span : null;

  let status: BurndownStatus;
  let finish: string | null = null;
  if (latest.target <= 0) status = 'no-target';
  else if (latest.remaining <= 0) status = 'complete';
  else if (pace === null) status = 'too-early';
  else if (pace <= 0) status = 'stalled';
  else {
    finish = addDays(latest.date, Math.ceil(latest.remaining / pace));
    status = !deadline ? 'projected' : finish > deadline ? 'late' : today > deadline ? 'overdue' : 'on-track';
  }

  // The ideal line needs a deadline after the first day.
  const idealSpan = deadline ? daysBetween(first.date, deadline) : 0;
  const ideal = (date: string): number | null =>
    deadline && idealSpan > 0 ? Math.round(first.remaining * Math.max(0, 1 - daysBetween(first.date, date) / idealSpan)) : null;
  // The projection is drawn while something remains and a pace is known; flat when stalled.
  const project = pace !== null && (status === 'stalled' || finish !== null);
  const projected = (date: string): number | null => {
    if (!project || date < latest.date) return null;
    return Math.max(0, Math.round(latest.remaining - Math.max(0, pace!) * daysBetween(latest.date, date)));
  };

  const dates = snaps.map((s) => s.date);
  const extra = new Set<string>();
  if (deadline && idealSpan > 0 && deadline > latest.date) extra.add(deadline);
  if (finish && deadline && finish <= deadline) extra.add(finish);
  const remainingOn = new Map(snaps.map((s) => [s.date, s.total.remaining]));
  const rows = [...dates, ...[...extra].filter((d) => !remainingOn.has(d))]
    .sort()
    .map((date) => ({ date, remaining: remainingOn.get(date) ?? null, ideal: ideal(date), projected: projected(date) }));

  return { status, rows, first, latest, deadline, daysLeft, pace, finish };
}
