/**
 * The briefing paragraph (domain/briefing.ts) from a constructed district: one clause per sector by state, parts when a
 * sector is under way, lagging regions, change since the last snapshot, the deadline; figures as progress.ts has them.
 */
import { describe, expect, it } from 'vitest';
import { briefingText, dateText, daysBetween, laggingRegions, pctText, sectorClause } from '../../functions/domain/briefing';
import { percent, progressReport, type Cell, type FormRef } from '../../functions/domain/progress';
import { RegionTree, type Region } from '../../functions/domain/regions';

const C = '420999000000';
const REGIONS: Region[] = [
  { code: C, name: { zh: '江滨区', en: 'Jiangbin District' }, level: 'county', parent: null },
  { code: '420999001000', name: { zh: '青山街道', en: 'Qingshan' }, level: 'township', parent: C },
  { code: '420999002000', name: { zh: '柳河镇', en: 'Liuhe' }, level: 'township', parent: C },
  { code: '420999003000', name: { zh: '石桥乡', en: 'Shiqiao' }, level: 'township', parent: C },
];
const tree = new RegionTree(REGIONS);

const FORMS: FormRef[] = [
  { id: 'emergency.shelter', sector: 'emergency', part: 'capability' },
  { id: 'agriculture.reservoir', sector: 'agriculture', part: 'water-drought' },
  { id: 'agriculture.crop-losses', sector: 'agriculture', part: 'crops' },
  { id: 'forestry.fuel-plot', sector: 'forestry', part: 'fuel' },
  { id: 'housing.rural-house', sector: 'housing', part: 'rural' },
];

const cell = (formId: string, regionCode: string, target: number, counts: Partial<Cell> = {}): Cell => ({
  formId,
  regionCode,
  target,
  draft: 0,
  submitted: 0,
  returned: 0,
  approved: 0,
  ...counts,
});

// The seed document's situation: emergency complete; agriculture's water-drought part complete, crops not started;
// forestry at 63.2%; housing started.
const CELLS: Cell[] = [
  cell('emergency.shelter', '420999001000', 10, { approved: 10 }),
  cell('emergency.shelter', '420999002000', 5, { approved: 6 }),
  cell('agriculture.reservoir', '420999001000', 4, { approved: 4 }),
  cell('agriculture.crop-losses', '420999002000', 3),
  cell('forestry.fuel-plot', '420999001000', 100, { approved: 90, submitted: 5 }),
  cell('forestry.fuel-plot', '420999002000', 90, { approved: 30 }),
  cell('forestry.fuel-plot', '420999003000', 0, { attestedNone: true }),
  cell('housing.rural-house', '420999003000', 200, { draft: 12, submitted: 6 }),
];

const report = progressReport(CELLS, FORMS, tree, C);

function text(lang: 'zh' | 'en', extra: Partial<Parameters<typeof briefingText>[0]> = {}) {
  return briefingText({ lang, asOfDate: '2021-11-29', region: report.region, total: report.total, sectors: report.sectors, children: report.children, ...extra });
}

describe('briefingText (zh)', () => {
  const t = text('zh');

  it('opens with the date, the district and the overall figures of the rollup', () => {
    const done = report.total.target - report.total.remaining;
    expect(t.startsWith(`截至2021年11月29日，江滨区自然灾害综合风险普查总体完成${pctText(report.total.pct)}（${done}/${report.total.target}），待审核11份。`)).toBe(true);
  });

  it('writes one clause per sector in the register of the seed document', () => {
    expect(t).toContain('应急系统调查任务已全部完成（15项）');
    expect(t).toContain('农业农村系统完成57.1%（4/7，尚余3项），其中水旱灾害部分已完成，其余1个部分尚未启动');
    const forestry = report.sectors.find((s) => s.sector === 'forestry')!.total;
    expect(forestry.pct).toBe(63.2);
    expect(t).toContain('林草系统完成63.2%（120/190，尚余70项，待审核5份）');
    expect(t).toContain('住建系统已启动（已填报18份，尚无审核通过）');
    expect(t.indexOf('应急系统')).toBeLessThan(t.indexOf('农业农村系统'));
    expect(t.indexOf('林草系统')).toBeLessThan(t.indexOf('住建系统'));
  });

  it('names the regions lagging most, lowest percentage first', () => {
    expect(t).toContain('进度落后的有：石桥乡（完成0.0%，尚余200项）、柳河镇（完成');
  });

  it('gives the change since the last snapshot and the days to the deadline', () => {
    const t0 = report.total;
    const previous = { date: '2021-11-28', total: { ...t0, pct: percent(t0.target - t0.remaining - 40, t0.target), remaining: t0.remaining + 40 } };
    const w = text('zh', { previous, deadline: '2021-12-31' });
    const dp = (Math.round((t0.pct! - previous.total.pct!) * 10) / 10).toFixed(1);
    expect(Number(dp)).toBeGreaterThan(0);
    expect(w).toContain(`与11月28日相比，完成率提高${dp}个百分点，新增完成40项。`);
    expect(w).toContain(`距截止日期（2021年12月31日）还有32天，尚余${report.total.remaining}项，平均每天需完成${Math.ceil(report.total.remaining / 32)}项。`);
    expect(text('zh', { deadline: '2021-11-29' })).toContain('今天是截止日期（2021年11月29日）');
    expect(text('zh', { deadline: '2021-11-19' })).toContain('已超过截止日期（2021年11月19日）10天');
    expect(text('zh', { previous: { date: '2021-11-28', total: report.total } })).toContain('完成率持平，新增完成0项');
  });
});

describe('briefingText (en)', () => {
  it('says the same in English', () => {
    const t = text('en', { deadline: '2021-12-31' });
    expect(t).toMatch(/^As of 29 November 2021, the natural-disaster risk census in Jiangbin District is [\d.]+% complete/);
    expect(t).toContain('The emergency system has completed its survey (15 items)');
    expect(t).toContain('the agriculture system is 57.1% complete (4 of 7, 3 remaining): flood and drought is complete, 1 other part has not started');
    expect(t).toContain('the forestry system is 63.2% complete (120 of 190, 70 remaining, 5 awaiting review)');
    expect(t).toContain('the housing system has started (18 filled in, none approved yet)');
    expect(t).toContain('32 days remain until the deadline (31 December 2021)');
  });
});

describe('pieces', () => {
  it('formats percentages, dates and day counts', () => {
    expect(pctText(63.2)).toBe('63.2%');
    expect(pctText(100)).toBe('100.0%');
    expect(pctText(null)).toBe('—');
    expect(dateText('2021-03-05', 'zh')).toBe('2021年3月5日');
    expect(dateText('2021-03-05', 'en')).toBe('5 March 2021');
    expect(daysBetween('2021-11-29', '2022-01-01')).toBe(33);
    expect(daysBetween('2021-03-01', '2021-02-28')).toBe(-1);
  });

  it('lagging regions skip finished regions and regions without targets', () => {
    const lag = laggingRegions(report.children, 5).map((r) => r.code);
    expect(lag[0]).toBe('420999003000');
    expect(lag).not.toContain('420999001000'.replace('1000', '9000'));
    const done = laggingRegions([{ code: 'x', name: { zh: 'x', en: 'x' }, total: { ...report.total, remaining: 0 } }]);
    expect(done).toEqual([]);
  });

  it('a sector that has not started or has no target says so', () => {
    const r = progressReport([], [{ id: 'housing.rural-house', sector: 'housing', part: 'rural' }], tree, C);
    expect(sectorClause(r.sectors[0]!, 'zh')).toBe('住建系统尚未启动');
    expect(briefingText({ lang: 'zh', asOfDate: '2021-11-29', region: r.region, total: r.total, sectors: r.sectors, children: r.children })).toContain('尚未设定任务量');
  });
});
