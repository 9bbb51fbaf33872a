/**
 * The progress briefing (进展简报): the paragraph a district reports upward, written from the same rollup as
 * `/api/progress` (progress.ts), so every figure in it equals the API's figure for the same moment.
 *
 * Register (UX.md): 「截至2021年11月29日，全区自然灾害综合风险普查：应急系统调查任务已全部完成；农业农村系统水旱部分已完成；
 * 林草系统完成63.2%；住建系统已启动。」 — one clause per sector, in the fixed sector order, by `classifySector`:
 *  - complete     → 「X调查任务已全部完成（n项）」
 *  - in-progress  → 「X完成p%（done/target，尚余r项）」 plus its parts when they differ (「其中水旱灾害部分已完成，…」)
 *  - started      → 「X已启动（已填报n份，尚无审核通过）」
 *  - not-started  → 「X尚未启动」
 * then the regions lagging most, the change since the last snapshot (an earlier day), and the deadline when one is set.
 * Percentages are the API's `pct` printed with one decimal; counts are `done = target − remaining` and raw status counts.
 */
import type { Localized } from './forms';
import { classifySector, type Counts, type RegionProgress, type SectorProgress, type SectorState } from './progress';
import { SECTORS, type SectorId } from './sectors';

export type Lang = 'zh' | 'en';

export interface BriefingSnapshot {
  /** YYYY-MM-DD (China Standard Time). */
  date: string;
  total: Counts;
}

export interface BriefingInput {
  lang: Lang;
  /** The day of the figures, YYYY-MM-DD in China Standard Time. */
  asOfDate: string;
  region: { code: string; name: Localized };
  total: Counts;
  sectors: readonly SectorProgress[];
  children: readonly RegionProgress[];
  /** The last snapshot of an earlier day, for "change since". */
  previous?: BriefingSnapshot;
  /** The admin's deadline, YYYY-MM-DD. */
  deadline?: string | null;
  /** How many lagging regions to name (default 3). */
  lagging?: number;
}

export const done = (c: Counts): number => c.target - c.remaining;
/** Everything that has been filled in at all (drafts included). */
export const filled = (c: Counts): number => c.draft + c.submitted + c.returned + c.approved;

/** One decimal, as the API rounds it (pct is already rounded half up to one decimal). */
export function pctText(p: number | null): string {
  return p === null ? '—' : `${p.toFixed(1)}%`;
}

function int(n: number, lang: Lang): string {
  return lang === 'en' ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}

/** 2021-11-29 → 2021年11月29日 / 29 November 2021. */
export function dateText(iso: string, lang: Lang, withYear = true): string {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  if (lang === 'zh') return withYear ? `${y}年${m}月${d}日` : `${m}月${d}日`;
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  return withYear ? `${d} ${months[m - 1]} ${y}` : `${d} ${months[m - 1]}`;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const t = (s: string) => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((t(to) - t(from)) / 86_400_000);
}

/**
 * The regions lagging most: children with a target that are not finished, lowest pct first (then most remaining,
 * then code), at most `n`.
 */
export function laggingRegions(children: readonly RegionProgress[], n = 3): RegionProgress[] {
  return children
    .filter((c) => c.total.target > 0 && c.total.remaining > 0)
    .sort((a, b) => (a.total.pct ?? 0) - (b.total.pct ?? 0) || b.total.remaining - a.total.remaining || a.code.localeCompare(b.code))
    .slice(0, n);
}

function sectorMeta(id: SectorId) {
  return SECTORS.find((s) => s.id === id)!;
}

function partName(sector: SectorId, part: string, lang: Lang): string {
  const p = sectorMeta(sector).parts.find((x) => x.id === part);
  return p ? p.name[lang] : part;
}

/** How one rollup reads: 「已全部完成」, 「完成63.2%（…）」, 「已启动（…）」, 「尚未启动」. */
function stateText(c: Counts, state: SectorState, lang: Lang, subject: 'sector' | 'part'): string {
  if (lang === 'zh') {
    switch (state) {
      case 'complete':
        return subject === 'sector' ? `调查任务已全部完成（${int(c.target, lang)}项）` : '已完成';
      case 'in-progress':
        return subject === 'sector'
          ? `完成${pctText(c.pct)}（${int(done(c), lang)}/${int(c.target, lang)}，尚余${int(c.remaining, lang)}项${c.submitted ? `，待审核${int(c.submitted, lang)}份` : ''}）`
          : `完成${pctText(c.pct)}`;
      case 'started':
        return subject === 'sector' ? `已启动（已填报${int(filled(c), lang)}份，尚无审核通过）` : '已启动';
      case 'not-started':
        return '尚未启动';
    }
  }
  switch (state) {
    case 'complete':
      return subject === 'sector' ? `has completed its survey (${int(c.target, lang)} items)` : 'is complete';
    case 'in-progress':
      return subject === 'sector'
        ? `is ${pctText(c.pct)} complete (${int(done(c), lang)} of ${int(c.target, lang)}, ${int(c.remaining, lang)} remaining${c.submitted ? `, ${int(c.submitted, lang)} awaiting review` : ''})`
        : `is ${pctText(c.pct)} complete`;
    case 'started':
      return subject === 'sector' ? `has started (${int(filled(c), lang)} filled in, none approved yet)` : 'has started';
    case 'not-started':
      return 'has not started';
  }
}

/** A part worth naming: it has a target or any submissions. */
const relevant = (c: Counts) => c.target > 0 || filled(c) > 0;

/**
 * The clause of one sector. A sector under way (in-progress) names its parts that differ from it: finished parts, parts
 * with a percentage, started parts; parts not started are summed up in one phrase.
 */
export function sectorClause(s: SectorProgress, lang: Lang): string {
  const meta = sectorMeta(s.sector);
  const state = classifySector(s.total);
  const head = lang === 'zh' ? `${meta.system.zh}${stateText(s.total, state, lang, 'sector')}` : `${meta.system.en} ${stateText(s.total, state, lang, 'sector')}`;
  const parts = s.parts.filter((p) => relevant(p.total));
  if (state !== 'in-progress' || parts.length < 2) return head;
  const named = parts.map((p) => ({ p, st: classifySector(p.total) }));
  const shown = named.filter((x) => x.st !== 'not-started');
  const idle = named.length - shown.length;
  const texts = shown.map(({ p, st }) =>
    lang === 'zh' ? `${partName(s.sector, p.part, lang)}部分${stateText(p.total, st, lang, 'part')}` : `${partName(s.sector, p.part, lang).toLowerCase()} ${stateText(p.total, st, lang, 'part')}`,
  );
  if (idle) texts.push(lang === 'zh' ? `其余${idle}个部分尚未启动` : `${idle} other part${idle > 1 ? 's have' : ' has'} not started`);
  return lang === 'zh' ? `${head}，其中${texts.join('，')}` : `${head}: ${texts.join(', ')}`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The briefing paragraph. */
export function briefingText(input: BriefingInput): string {
  const { lang, total } = input;
  const zh = lang === 'zh';
  const name = input.region.name[lang];
  const out: string[] = [];

  // Headline.
  if (zh) {
    const overall = total.target > 0 ? `总体完成${pctText(total.pct)}（${int(done(total), lang)}/${int(total.target, lang)}）` : '尚未设定任务量';
    const queue = [total.submitted ? `待审核${total.submitted}份` : '', total.returned ? `退回修改${total.returned}份` : ''].filter(Boolean).join('，');
    out.push(`截至${dateText(input.asOfDate, lang)}，${name}自然灾害综合风险普查${overall}${queue ? `，${queue}` : ''}。`);
  } else {
    const overall = total.target > 0 ? `is ${pctText(total.pct)} complete (${int(done(total), lang)} of ${int(total.target, lang)})` : 'has no targets set yet';
    const queue = [total.submitted ? `${int(total.submitted, lang)} awaiting review` : '', total.returned ? `${int(total.returned, lang)} returned for correction` : ''].filter(Boolean).join(', ');
    out.push(`As of ${dateText(input.asOfDate, lang)}, the natural-disaster risk census in ${name} ${overall}${queue ? `; ${queue}` : ''}.`);
  }

  // One clause per sector.
  const clauses = input.sectors.map((s) => sectorClause(s, lang));
  if (clauses.length) out.push(zh ? `${clauses.join('；')}。` : `${cap(clauses.join('; '))}.`);

  // Lagging regions.
  const lag = laggingRegions(input.children, input.lagging ?? 3);
  if (lag.length) {
    out.push(
      zh
        ? `进度落后的有：${lag.map((r) => `${r.name.zh}（完成${pctText(r.total.pct)}，尚余${r.total.remaining}项）`).join('、')}。`
        : `Lagging most: ${lag.map((r) => `${r.name.en} (${pctText(r.total.pct)}, ${int(r.total.remaining, lang)} remaining)`).join(', ')}.`,
    );
  }

  // Change since the last snapshot of an earlier day.
  if (input.previous) {
    const p = input.previous.total;
    const dDone = done(total) - done(p);
    const when = dateText(input.previous.date, lang, false);
    if (total.pct !== null && p.pct !== null) {
      const dp = Math.round((total.pct - p.pct) * 10) / 10;
      if (zh) {
        const move = dp > 0 ? `提高${dp.toFixed(1)}个百分点` : dp < 0 ? `下降${(-dp).toFixed(1)}个百分点` : '持平';
        out.push(`与${when}相比，完成率${move}，新增完成${dDone}项。`);
      } else {
        const move = dp > 0 ? `up ${dp.toFixed(1)} points` : dp < 0 ? `down ${(-dp).toFixed(1)} points` : 'unchanged';
        out.push(`Since ${when}, completion is ${move}, with ${int(dDone, lang)} more items done.`);
      }
    } else {
      out.push(zh ? `与${when}相比，新增完成${dDone}项。` : `Since ${when}, ${int(dDone, lang)} more items are done.`);
    }
  }

  // Deadline.
  if (input.deadline) {
    const days = daysBetween(input.asOfDate, input.deadline);
    const when = dateText(input.deadline, lang);
    if (total.remaining === 0 && total.target > 0) {
      out.push(zh ? `已在截止日期（${when}）前完成全部任务。` : `All targets are met ahead of the deadline (${when}).`);
    } else if (days > 0) {
      const perDay = Math.ceil(total.remaining / days);
      out.push(
        zh
          ? `距截止日期（${when}）还有${days}天，尚余${total.remaining}项，平均每天需完成${perDay}项。`
          : `${int(days, lang)} days remain until the deadline (${when}): ${int(total.remaining, lang)} items to go, ${int(perDay, lang)} a day.`,
      );
    } else if (days === 0) {
      out.push(zh ? `今天是截止日期（${when}），尚余${total.remaining}项。` : `Today is the deadline (${when}); ${int(total.remaining, lang)} items remain.`);
    } else {
      out.push(zh ? `已超过截止日期（${when}）${-days}天，尚余${total.remaining}项。` : `The deadline (${when}) passed ${int(-days, lang)} days ago; ${int(total.remaining, lang)} items remain.`);
    }
  }
  return out.join(zh ? '' : ' ');
}
