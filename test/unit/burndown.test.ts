import { describe, expect, it } from 'vitest';
import { addDays, burndown, chinaDay, type BurndownSnapshot } from '../../functions/domain/burndown';

const snap = (date: string, remaining: number, target = 100): BurndownSnapshot => ({ date, total: { target, remaining } });

describe('day helpers', () => {
  it('files an instant under its day in China Standard Time', () => {
    expect(chinaDay(new Date('2024-03-01T15:59:59Z'))).toBe('2024-03-01');
    expect(chinaDay(new Date('2024-03-01T16:00:00Z'))).toBe('2024-03-02');
  });

  it('adds days across months, leap days and years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-12-30', 3)).toBe('2025-01-02');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', 0)).toBe('2024-03-01');
  });
});

describe('burndown', () => {
  it('has nothing to show without snapshots, but still counts the days to the deadline', () => {
    expect(burndown([], null, '2024-03-01')).toEqual({ status: 'no-data', rows: [], first: null, latest: null, deadline: null, daysLeft: null, pace: null, finish: null });
    const b = burndown([], '2024-03-11', '2024-03-01');
    expect(b.status).toBe('no-data');
    expect(b.daysLeft).toBe(10);
  });

  it('takes remaining per snapshot day, oldest first, the last snapshot of a day winning', () => {
    const b = burndown([snap('2024-03-03', 70), snap('2024-03-01', 100), snap('2024-03-02', 90), snap('2024-03-02', 85)], null, '2024-03-03');
    expect(b.rows.map((r) => [r.date, r.remaining])).toEqual([
      ['2024-03-01', 100],
      ['2024-03-02', 85],
      ['2024-03-03', 70],
    ]);
    expect(b.first).toEqual({ date: '2024-03-01', remaining: 100 });
    expect(b.latest).toEqual({ date: '2024-03-03', target: 100, remaining: 70 });
    expect(b.rows.every((r) => r.ideal === null)).toBe(true); // no deadline, no ideal line
  });

  it('draws the ideal line from the first remaining to 0 on the deadline and counts the days left from today', () => {
    // 100 remaining on 1 March, deadline 11 March: the ideal falls 10 a day.
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-04', 60)], '2024-03-11', '2024-03-05');
    expect(b.daysLeft).toBe(6);
    expect(b.rows.find((r) => r.date === '2024-03-01')!.ideal).toBe(100);
    expect(b.rows.find((r) => r.date === '2024-03-04')!.ideal).toBe(70);
    const last = b.rows.at(-1)!;
    expect(last).toMatchObject({ date: '2024-03-11', remaining: null, ideal: 0 });
  });

  it('rounds the ideal line to whole records', () => {
    const b = burndown([snap('2024-03-01', 10), snap('2024-03-02', 9)], '2024-03-04', '2024-03-02');
    expect(b.rows.map((r) => r.ideal)).toEqual([10, 7, 0]); // 10 × 2/3 = 6.67 → 7
  });

  it('projects the finish from the pace so far and says on track when it is not after the deadline', () => {
    // 100 → 60 over 4 days: 10 a day; 60 left on 5 March → 0 on 11 March, the deadline itself.
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-03', 85), snap('2024-03-05', 60)], '2024-03-11', '2024-03-05');
    expect(b.pace).toBe(10);
    expect(b.finish).toBe('2024-03-11');
    expect(b.status).toBe('on-track');
    expect(b.rows.at(-1)).toEqual({ date: '2024-03-11', remaining: null, ideal: 0, projected: 0 });
    // The projection starts at the latest snapshot and is absent before it.
    expect(b.rows.map((r) => r.projected)).toEqual([null, null, 60, 0]);
  });

  it('adds the finish as a row of its own when it comes before the deadline', () => {
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-05', 60)], '2024-03-20', '2024-03-05');
    expect(b.finish).toBe('2024-03-11');
    expect(b.status).toBe('on-track');
    expect(b.rows.map((r) => r.date)).toEqual(['2024-03-01', '2024-03-05', '2024-03-11', '2024-03-20']);
    expect(b.rows.map((r) => r.projected)).toEqual([null, 60, 0, 0]);
  });

  it('says late when the pace finishes after the deadline, and shows what would remain on the deadline', () => {
    // 100 → 90 over 5 days: 2 a day; 90 left on 6 March → 45 days → 20 April.
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-06', 90)], '2024-03-31', '2024-03-06');
    expect(b.pace).toBe(2);
    expect(b.finish).toBe('2024-04-20');
    expect(b.status).toBe('late');
    expect(b.rows.map((r) => r.date)).toEqual(['2024-03-01', '2024-03-06', '2024-03-31']); // the finish lies beyond the chart
    expect(b.rows.at(-1)!.projected).toBe(90 - 2 * 25);
  });

  it('rounds a fractional pace up to a whole day of work', () => {
    // 10 → 7 over 2 days: 1.5 a day; 7 left → 4.67 days → 5 days.
    const b = burndown([snap('2024-03-01', 10), snap('2024-03-03', 7)], '2024-03-08', '2024-03-03');
    expect(b.pace).toBe(1.5);
    expect(b.finish).toBe('2024-03-08');
    expect(b.status).toBe('on-track');
    expect(burndown([snap('2024-03-01', 10), snap('2024-03-03', 7)], '2024-03-07', '2024-03-03').status).toBe('late');
  });

  it('is overdue once the deadline has passed with records remaining, even when the pace pointed to an earlier finish', () => {
    // The latest snapshot (2 March) pointed to a finish on 3 March, before the deadline; but on 6 March it has passed.
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-02', 50)], '2024-03-04', '2024-03-06');
    expect(b.finish).toBe('2024-03-03');
    expect(b.daysLeft).toBe(-2);
    expect(b.status).toBe('overdue');
    expect(burndown([snap('2024-03-01', 100), snap('2024-03-02', 50)], '2024-03-04', '2024-03-04').status).toBe('on-track');
  });

  it('projects a finish without a deadline, with no ideal line', () => {
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-05', 60)], null, '2024-03-05');
    expect(b.status).toBe('projected');
    expect(b.finish).toBe('2024-03-11');
    expect(b.daysLeft).toBeNull();
    expect(b.rows.map((r) => r.date)).toEqual(['2024-03-01', '2024-03-05']);
  });

  it('follows remaining, not done: a raised target slows the pace', () => {
    // 20 done in 4 days, but the target grew by 20: remaining did not fall.
    const b = burndown([snap('2024-03-01', 100, 100), snap('2024-03-05', 100, 120)], '2024-03-31', '2024-03-05');
    expect(b.pace).toBe(0);
    expect(b.status).toBe('stalled');
    expect(b.finish).toBeNull();
    // Stalled: the projection stays flat to the deadline.
    expect(b.rows.map((r) => r.projected)).toEqual([null, 100, 100]);
  });

  it('is stalled when remaining grew', () => {
    const b = burndown([snap('2024-03-01', 50), snap('2024-03-02', 60)], null, '2024-03-02');
    expect(b.pace).toBe(-10);
    expect(b.status).toBe('stalled');
    expect(b.finish).toBeNull();
  });

  it('needs two snapshot days for a pace', () => {
    const b = burndown([snap('2024-03-05', 60)], '2024-03-15', '2024-03-05');
    expect(b.status).toBe('too-early');
    expect(b.pace).toBeNull();
    expect(b.finish).toBeNull();
    // The ideal line still runs from the one snapshot to the deadline; nothing is projected.
    expect(b.rows).toEqual([
      { date: '2024-03-05', remaining: 60, ideal: 60, projected: null },
      { date: '2024-03-15', remaining: null, ideal: 0, projected: null },
    ]);
  });

  it('is complete when nothing remains, and has no target when the target is 0', () => {
    const done = burndown([snap('2024-03-01', 10), snap('2024-03-02', 0)], '2024-03-05', '2024-03-02');
    expect(done.status).toBe('complete');
    expect(done.finish).toBeNull();
    expect(done.rows.every((r) => r.projected === null)).toBe(true);
    expect(burndown([snap('2024-03-01', 0, 0), snap('2024-03-02', 0, 0)], '2024-03-05', '2024-03-02').status).toBe('no-target');
  });

  it('draws no ideal line when the deadline is not after the first snapshot', () => {
    for (const deadline of ['2024-03-01', '2024-02-20']) {
      const b = burndown([snap('2024-03-01', 100), snap('2024-03-05', 60)], deadline, '2024-03-05');
      expect(b.rows.map((r) => r.ideal)).toEqual([null, null]);
      expect(b.rows.map((r) => r.date)).toEqual(['2024-03-01', '2024-03-05']);
      expect(b.status).toBe('late');
    }
  });

  it('puts the ideal line at 0 after a deadline that passed between snapshots', () => {
    const b = burndown([snap('2024-03-01', 100), snap('2024-03-03', 90), snap('2024-03-09', 40)], '2024-03-05', '2024-03-09');
    expect(b.rows.map((r) => r.ideal)).toEqual([100, 50, 0]);
    expect(b.rows.map((r) => r.date)).toEqual(['2024-03-01', '2024-03-03', '2024-03-09']);
    expect(b.daysLeft).toBe(-4);
  });
});
