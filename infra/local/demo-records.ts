/**
 * Demo records for a fresh local DATA_DIR: a census in progress instead of 0.0% everywhere. Every record is made
 * through the use cases (save-submission, submit-submission, review-submission) as a member of the demo directory, so
 * validation, progress counters, the audit trail and the review queue are all real; only `now` is chosen per step, so
 * the records spread over the last five weeks and the daily snapshots (record-snapshot, as get-progress records them)
 * draw a real trend.
 *
 * The outcome, from the district's cells (targets) and a seeded random (the same figures on every fresh start):
 *  - emergency: every cell approved up to its target (100%), a few after one round of 退回 → 修改 → 通过;
 *  - agriculture: the water-drought part complete; crop losses under way;
 *  - forestry: about half approved (the first township furthest ahead, the last one lagging), some awaiting review,
 *    a few returned with the reviewer's note, some drafts;
 *  - housing: just started — a few dozen records, about 2% approved;
 * with plausible names, places inside the demo district and small photo files where the forms take photos.
 */
import { Readable } from 'node:stream';
import { attachmentKey, type Member, type Ports, type Submission } from '../../functions/app/ports';
import { recordSnapshot } from '../../functions/app/record-snapshot';
import { reviewSubmission } from '../../functions/app/review-submission';
import { saveSubmission } from '../../functions/app/save-submission';
import { submitSubmission } from '../../functions/app/submit-submission';
import { can } from '../../functions/domain/access';
import { CATALOG } from '../../functions/domain/catalog/index';
import { allFields } from '../../functions/domain/form-fields';
import type { FormDefinition, LeafField } from '../../functions/domain/forms';
import { usccCheckChar } from '../../functions/domain/identifiers';
import type { Cell } from '../../functions/domain/progress';
import type { Region } from '../../functions/domain/regions';
import { generateSample, seeded } from '../../functions/domain/samples';
import type { SectorId } from '../../functions/domain/sectors';
import { validate } from '../../functions/domain/validate';
import type { Status } from '../../functions/domain/workflow';
import { DEMO_COUNTY } from './demo-district';

export interface DemoRecordsResult {
  records: number;
  byStatus: Record<string, number>;
}

/** A 1×1 grey JPEG (a real, decodable image): what the demo records' photo fields point at. */
const DEMO_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

const DAY = 86_400_000;
const CST = 8 * 3_600_000;

type Rnd = () => number;
type Data = Record<string, unknown>;
type Final = Exclude<Status, 'voided'>;

// ───────────────────────────── the plan: how many records of which status per cell ─────────────────────────────

/** Share of a forestry cell's target approved, by township (in code order): the first furthest ahead. */
const FORESTRY_APPROVED = [0.72, 0.56, 0.44, 0.3];
/** Share of a crop-losses cell's target approved, by township. */
const CROPS_APPROVED = [0.5, 0.34, 0.25, 0];

/**
 * Housing has only started: a few dozen records in the first two townships, by form → region suffix (the last six
 * digits of the code) → counts. Rural houses have targets of 60–180 per village; this is the point: it has started.
 */
const HOUSING: Record<string, Record<string, Partial<Record<Final, number>>>> = {
  'housing.rural-house': {
    '001001': { approved: 6, submitted: 2, draft: 1 },
    '001002': { approved: 5, submitted: 1, returned: 1, draft: 1 },
    '001003': { approved: 4, submitted: 1, draft: 1 },
    '002001': { approved: 3, submitted: 1, draft: 1 },
  },
  'housing.rural-nonresidential': { '001001': { approved: 1, submitted: 1 } },
  'housing.urban-residential': { '001001': { approved: 5, submitted: 1 }, '001002': { approved: 3, submitted: 1, draft: 1 } },
  'housing.urban-nonresidential': { '001001': { approved: 2, draft: 1 } },
  'housing.municipal-road': { '001000': { approved: 3, submitted: 1 }, '002000': { approved: 1 } },
  'housing.municipal-bridge': { '001000': { approved: 2 } },
  'housing.water-plant': { '001000': { approved: 1 } },
  'housing.water-pipeline': { '001000': { approved: 1, draft: 1 } },
};

/** When a sector's work happened: creation days, as days before today (earliest, latest). */
const WINDOWS: Record<string, [number, number]> = {
  emergency: [33, 11],
  'agriculture.water-drought': [30, 8],
  'agriculture.crops': [13, 1],
  forestry: [27, 1],
  housing: [9, 0],
};

/** Reviewers' notes of a return: per table where the reason is specific to it, else per sector. */
const FORM_NOTES: Record<string, string[]> = {
  'forestry.fuel-plot': ['可燃物载量与样方称重记录不一致，请复核后修改。', '样地照片不清晰，请补拍样地全景照片后重新提交。'],
  'forestry.ignition-source': ['火源点坐标与所在村不符，请核实点位后重新提交。', '责任人联系电话缺失，请补充后重新提交。'],
  'forestry.fire-history': ['起火原因与火灾档案记载不一致，请核对后修改。', '受害森林面积大于过火面积，请复核。'],
  'forestry.fire-crew': ['队伍人数与花名册不符，请补充核实。'],
  'forestry.lookout-facility': ['瞭望塔坐标与现场不符，请核实点位后重新提交。', '监控覆盖半径填写偏大，请核实设备参数。'],
  'forestry.fire-depot': ['储备物资数量与台账不一致，请核对后修改。', '坐标位置与所在村不符，请核实点位后重新提交。'],
  'forestry.firebreak': ['林带长度与起止点距离不符，请复核。', '现场照片不清晰，请补拍后重新提交。'],
  'emergency.shelter': ['有效避难面积与总面积比例偏高，请核实后修改。'],
  'housing.rural-house': ['建筑面积为整数，疑似未实测，请到现场核实后修改。', '户主姓名与门牌信息不符，请核实后重新提交。'],
};

const RETURN_NOTES: Record<SectorId, string[]> = {
  emergency: ['统一社会信用代码与登记证书不一致，请核对后重新提交。', '现场照片不清晰，请补拍后重新提交。', '单位地址填写不完整，请补充门牌号。'],
  agriculture: ['隐患描述过于简略，请补充隐患部位和桩号。', '管理单位名称与水利普查名录不一致，请核实。', '受灾面积与统计年报不一致，请复核数据来源。'],
  forestry: ['坐标位置与所在村不符，请核实点位后重新提交。', '现场照片不清晰，请补拍后重新提交。'],
  housing: ['结构类型与现场照片不符，请核实。', '坐标位置与图斑不符，请核实点位后重新提交。'],
};

interface Rec {
  id: string;
  cell: Cell;
  def: FormDefinition;
  sample: Data;
  town: Region;
  village: Region | undefined;
  /** 1-based position within its cell. */
  seq: number;
  /** Position within its form across the district (0-based), for year series and names. */
  formSeq: number;
  final: Final;
  /** Returned once (with a note) and fixed before the final state. */
  cycle: boolean;
  /** Saved as a draft first, submitted later. */
  draftFirst: boolean;
  creator: Member;
  reviewer: Member;
  data?: Data;
  /** The reviewer's note when the record is returned (chosen with its answers, which may show what the note says). */
  note?: string;
  /** What the correction changes before it is filed again. */
  fix?: Data;
  version: number;
}

interface Step {
  at: number;
  rec?: Rec;
  kind: 'create' | 'submit' | 'review' | 'resubmit' | 'snapshot';
  decision?: 'approve' | 'return';
  order: number;
}

// ───────────────────────────── entry point ─────────────────────────────

export async function seedDemoRecords(ports: Ports, opts: { random?: () => number } = {}): Promise<DemoRecordsResult> {
  const rnd = opts.random ?? seeded(42);
  const started = ports.now().getTime();
  const regions = await ports.directory.regions();
  const byCode = new Map(regions.map((r) => [r.code, r]));
  const county = byCode.get(DEMO_COUNTY);
  if (!county) return { records: 0, byStatus: {} };
  const members = await ports.directory.members();
  const admin = members.find((m) => m.role === 'admin' && m.username === 'admin') ?? members.find((m) => m.role === 'admin');
  if (!admin) throw new Error('demo records: the directory has no admin member');

  const cells = [...(await ports.progress.cellsForCounty(DEMO_COUNTY))].sort((a, b) => a.formId.localeCompare(b.formId) || a.regionCode.localeCompare(b.regionCode));
  const towns = regions.filter((r) => r.level === 'township').sort((a, b) => a.code.localeCompare(b.code));
  const townIndex = (code: string) => Math.max(0, towns.findIndex((t) => code.startsWith(t.code.slice(0, 9))));
  const defs = new Map<string, FormDefinition | undefined>();
  const recs: Rec[] = [];
  const formSeq = new Map<string, number>();

  for (const cell of cells) {
    const entry = CATALOG.find((e) => e.definition.id === cell.formId);
    if (!entry || cell.attestedNone) continue;
    if (!defs.has(cell.formId)) defs.set(cell.formId, await ports.directory.currentForm(cell.formId));
    const def = defs.get(cell.formId);
    const region = byCode.get(cell.regionCode);
    if (!def || !region) continue;
    const finals = planCell(cell, def, townIndex(cell.regionCode), rnd);
    const town = region.level === 'township' ? region : region.level === 'village' ? byCode.get(region.parent ?? '') : towns[Math.floor(rnd() * towns.length)];
    if (!town) continue;
    const creator = pickMember(members, 'staff', def.sector, cell.regionCode) ?? admin;
    const reviewer = pickMember(members, 'reviewer', def.sector, cell.regionCode) ?? admin;
    finals.forEach(({ final, cycle }, i) => {
      const k = formSeq.get(def.id) ?? 0;
      formSeq.set(def.id, k + 1);
      recs.push({
        id: uuid(rnd),
        cell,
        def,
        sample: entry.sample,
        town,
        village: region.level === 'village' ? region : undefined,
        seq: i + 1,
        formSeq: k,
        final,
        cycle,
        draftFirst: final === 'submitted' ? rnd() < 0.35 : rnd() < 0.12,
        creator,
        reviewer,
        version: 0,
      });
    });
  }

  // Times: each record's steps, then one snapshot per past day, all run in time order.
  const today = cstDayStart(started);
  const steps: Step[] = [];
  let order = 0;
  let earliest = 0;
  const sectorCount = new Map<string, number>();
  const sectorTotal = new Map<string, number>();
  for (const r of recs) sectorTotal.set(windowKey(r.def), (sectorTotal.get(windowKey(r.def)) ?? 0) + 1);
  for (const r of recs) {
    const key = windowKey(r.def);
    const i = sectorCount.get(key) ?? 0;
    sectorCount.set(key, i + 1);
    const times = scheduleRecord(r, i / Math.max(1, sectorTotal.get(key)! - 1), WINDOWS[key]!, today, started, rnd);
    earliest = Math.max(earliest, Math.ceil((today - times[0]!) / DAY));
    const kinds = stepKinds(r);
    kinds.forEach((k, j) => steps.push({ at: times[j]!, rec: r, kind: k.kind, ...(k.decision ? { decision: k.decision } : {}), order: order++ }));
  }
  for (let d = earliest; d >= 1; d--) steps.push({ at: today - d * DAY + 23 * 3_600_000 - CST, kind: 'snapshot', order: order++ });
  steps.sort((a, b) => a.at - b.at || a.order - b.order);

  // The answers of every record (dated by its creation), and its photos, stored before the steps run: the uploads are
  // independent of one another, so they go in parallel; the steps then run one by one, in time order.
  const ctx: NameCtx = { county: bareCounty(county.name.zh), rnd, byCode };
  const uploads: { key: string }[] = [];
  for (const s of steps) {
    if (s.kind !== 'create') continue;
    const r = s.rec!;
    const built = buildData(r, ctx, regions, s.at, r.final !== 'draft');
    r.data = built.data;
    for (const id of built.photos) uploads.push({ key: attachmentKey(r.id, id) });
  }
  await inParallel(uploads, 16, (u) => ports.files.putStream(u.key, Readable.from([DEMO_JPEG]), 'image/jpeg'));

  for (const s of steps) {
    const at = new Date(s.at);
    const p: Ports = { ...ports, now: () => at };
    if (s.kind === 'snapshot') {
      await recordSnapshot(p, DEMO_COUNTY, at);
      continue;
    }
    const r = s.rec!;
    await runStep(p, r, s, ctx);
  }

  const byStatus: Record<string, number> = { draft: 0, submitted: 0, returned: 0, approved: 0 };
  for (const r of recs) byStatus[r.final] = (byStatus[r.final] ?? 0) + 1;
  return { records: recs.length, byStatus };
}

// ───────────────────────────── planning ─────────────────────────────

function windowKey(def: FormDefinition): string {
  return def.sector === 'agriculture' ? `agriculture.${def.part === 'water-drought' ? 'water-drought' : 'crops'}` : def.sector;
}

function planCell(cell: Cell, def: FormDefinition, town: number, rnd: Rnd): { final: Final; cycle: boolean }[] {
  const t = Math.max(0, Math.floor(cell.target));
  const out: { final: Final; cycle: boolean }[] = [];
  const add = (final: Final, n: number, cycleRate = 0) => {
    for (let i = 0; i < n; i++) out.push({ final, cycle: final !== 'returned' && final !== 'draft' && rnd() < cycleRate });
  };
  if (def.sector === 'emergency' || (def.sector === 'agriculture' && def.part === 'water-drought')) {
    add('approved', t, 0.05);
  } else if (def.sector === 'agriculture') {
    const approved = Math.round(t * (CROPS_APPROVED[town] ?? 0));
    const rest = t - approved;
    add('approved', approved);
    add('submitted', Math.min(rest, town < 2 ? 2 : 1));
    add('draft', Math.min(Math.max(0, rest - 2), town === 3 ? 1 : 0));
  } else if (def.sector === 'forestry') {
    const share = FORESTRY_APPROVED[town] ?? 0.4;
    const approved = Math.min(t, Math.round(t * share + (rnd() - 0.5)));
    let rest = t - approved;
    const submitted = Math.min(rest, Math.round(rest * 0.22 + rnd() * 0.6));
    rest -= submitted;
    // A few returned across the district: one in roughly every tenth cell that still has work left.
    const returned = rest > 0 && rnd() < 0.1 ? 1 : 0;
    rest -= returned;
    const draft = rest > 0 && rnd() < 0.35 ? 1 : 0;
    add('approved', approved, 0.04);
    add('returned', returned);
    add('submitted', submitted, 0.08);
    add('draft', draft);
  } else {
    const plan = HOUSING[def.id]?.[cell.regionCode.slice(6)];
    if (plan) {
      add('approved', Math.min(t, plan.approved ?? 0), 0.1);
      add('returned', plan.returned ?? 0);
      add('submitted', plan.submitted ?? 0);
      add('draft', plan.draft ?? 0);
    }
  }
  // Never more records than the cell's target: a census in progress, not one over its task.
  return out.slice(0, t);
}

function pickMember(members: Member[], role: 'staff' | 'reviewer', sector: SectorId, regionCode: string): Member | undefined {
  const action = role === 'staff' ? 'submission.write' : 'submission.review';
  const fits = members.filter((m) => m.role === role && m.sector === sector && can(m, action, { sector, regionCode }));
  return fits.find((m) => m.username === `${role}-${sector}`) ?? fits.sort((a, b) => a.username.localeCompare(b.username))[0];
}

function stepKinds(r: Rec): { kind: Step['kind']; decision?: 'approve' | 'return' }[] {
  const out: { kind: Step['kind']; decision?: 'approve' | 'return' }[] = [{ kind: 'create' }];
  if (r.final === 'draft') return out;
  if (r.draftFirst) out.push({ kind: 'submit' });
  if (r.cycle) out.push({ kind: 'review', decision: 'return' }, { kind: 'resubmit' });
  if (r.final === 'approved') out.push({ kind: 'review', decision: 'approve' });
  if (r.final === 'returned') out.push({ kind: 'review', decision: 'return' });
  return out;
}

/** 00:00 China Standard Time of the day `t` falls in, as epoch ms. */
function cstDayStart(t: number): number {
  return Math.floor((t + CST) / DAY) * DAY - CST;
}

/** A working moment (08:30–17:30 CST) `days` days before `today`; Sundays move to Saturday. Day 0 = the last two hours. */
function workingMoment(today: number, days: number, now: number, rnd: Rnd): number {
  if (days <= 0) return Math.max(today, now - 2 * 3_600_000) + Math.floor(rnd() * 100) * 60_000;
  let d = days;
  if (new Date(today - d * DAY + CST).getUTCDay() === 0) d += 1;
  return today - d * DAY + (8.5 + rnd() * 9) * 3_600_000;
}

/** The moments of a record's steps, increasing and all before `now`. `pos` ∈ [0, 1]: its place in its sector's work. */
function scheduleRecord(r: Rec, pos: number, [first, last]: [number, number], today: number, now: number, rnd: Rnd): number[] {
  const n = stepKinds(r).length;
  let createDay: number;
  if (r.final === 'approved') createDay = Math.round(first - pos * (first - last) + (rnd() - 0.5) * 3);
  else if (r.final === 'returned') createDay = 2 + Math.floor(rnd() * 7);
  else if (r.final === 'submitted') createDay = Math.floor(rnd() * 6);
  else createDay = Math.floor(rnd() * 5);
  createDay = Math.max(0, Math.min(first + 1, createDay));
  const days = [createDay];
  for (let j = 1; j < n; j++) {
    const gap = r.final === 'submitted' && j === n - 1 ? Math.floor(rnd() * 2) : Math.floor(rnd() * 3);
    days.push(Math.max(0, days[j - 1]! - gap));
  }
  const times: number[] = [];
  for (const d of days) {
    let t = workingMoment(today, d, now, rnd);
    const prev = times[times.length - 1];
    if (prev !== undefined && t <= prev) t = prev + (5 + Math.floor(rnd() * 80)) * 60_000;
    times.push(t);
  }
  // Everything happened before the seed runs.
  for (let j = times.length - 1; j >= 0; j--) {
    const cap = j === times.length - 1 ? now - 60_000 : times[j + 1]! - 1000;
    if (times[j]! > cap) times[j] = cap;
  }
  return times;
}

// ───────────────────────────── running a step through the use cases ─────────────────────────────

async function runStep(p: Ports, r: Rec, s: Step, ctx: NameCtx): Promise<void> {
  const sub = (res: Submission) => {
    r.version = res.version;
  };
  try {
    switch (s.kind) {
      case 'create': {
        const submit = r.final !== 'draft' && !r.draftFirst;
        sub((await saveSubmission(p, r.creator, { id: r.id, body: body(r, r.data!), ifMatch: undefined, submit })).submission);
        return;
      }
      case 'submit':
        sub(await submitSubmission(p, r.creator, { id: r.id, ifMatch: r.version, body: undefined }));
        return;
      case 'review': {
        const note = s.decision === 'return' ? (r.note ?? returnNote(r, ctx.rnd)) : undefined;
        sub(await reviewSubmission(p, r.reviewer, { id: r.id, ifMatch: r.version, body: { decision: s.decision, ...(note ? { note } : {}) } }));
        return;
      }
      case 'resubmit': {
        // Corrected and filed again: the date of filling is the day of the correction.
        const data = { ...r.data!, ...r.fix };
        for (const f of ['fill_date', 'survey_date']) if (typeof data[f] === 'string') data[f] = isoDate(s.at);
        r.data = data;
        sub((await saveSubmission(p, r.creator, { id: r.id, body: body(r, data), ifMatch: r.version, submit: true })).submission);
        return;
      }
    }
  } catch (e) {
    const errors = (e as { errors?: unknown }).errors;
    throw new Error(`demo record ${r.def.id} in ${r.cell.regionCode} (${s.kind}): ${(e as Error).message}${errors ? ` ${JSON.stringify(errors)}` : ''}`, { cause: e });
  }
}

function body(r: Rec, data: Data) {
  return { formId: r.def.id, regionCode: r.cell.regionCode, data };
}

function returnNote(r: Rec, rnd: Rnd): string {
  const notes = FORM_NOTES[r.def.id] ?? RETURN_NOTES[r.def.sector];
  return notes[Math.floor(rnd() * notes.length)]!;
}

// ───────────────────────────── answers ─────────────────────────────

interface NameCtx {
  county: string;
  rnd: Rnd;
  byCode: Map<string, Region>;
}

interface Place {
  county: string;
  town: string;
  townBase: string;
  village: string | undefined;
  villageBase: string | undefined;
  /** The village, else the township: where the record is. */
  place: string;
  base: string;
  /** A village of the record's township (its own when it has one). */
  someVillage: string;
}

const SURNAMES = [...'张王李刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕'];
const GIVEN = ['建国', '秀英', '志强', '海燕', '文华', '丽华', '国庆', '晓明', '红梅', '德胜', '春燕', '永刚', '玉兰', '明辉', '桂芳', '新民', '卫东', '小军', '慧敏', '爱华', '立新', '雪梅', '振华', '淑珍', '长青', '金凤', '少华', '光明'];
const PERSON_FIELDS = ['unit_head', 'statistics_head', 'filler', 'investigator', 'reviewer', 'surveyor', 'leader', 'keeper', 'contact_person', 'responsible_person'];
const RIVERS = ['府河', '滠水', '倒水', '举水', '沙河'];
const GROUPS = ['一组', '二组', '三组', '四组', '五组', '六组', '七组'];

/** Region centres inside the demo district (lat 30.55–30.65, lng 114.25–114.40). */
const TOWN_CENTRES: Record<string, [number, number]> = {
  '420999001000': [30.628, 114.372],
  '420999002000': [30.598, 114.283],
  '420999003000': [30.566, 114.338],
  '420999004000': [30.637, 114.302],
};

function person(rnd: Rnd): string {
  return SURNAMES[Math.floor(rnd() * SURNAMES.length)]! + GIVEN[Math.floor(rnd() * GIVEN.length)]!;
}

function pick<T>(list: readonly T[], rnd: Rnd): T {
  return list[Math.floor(rnd() * list.length)]!;
}

function bareCounty(name: string): string {
  return name.replace(/[（(].*?[）)]/g, '').trim() || name;
}

function bare(name: string): string {
  return name.replace(/(社区|街道|村|镇|乡)$/, '');
}

function isoDate(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** The centre of the record's village (spread around its township's centre), else of its township. */
function centre(r: Rec): [number, number] {
  const town = TOWN_CENTRES[r.town.code] ?? [30.6, 114.325];
  if (!r.village) return town;
  const angle = (Number(r.village.code.slice(9)) - 1) * 2.1 + Number(r.town.code.slice(6, 9));
  return [town[0] + Math.sin(angle) * 0.011, town[1] + Math.cos(angle) * 0.013];
}

function pointNear(r: Rec, ctx: NameCtx, spread = 0.004): { lat: number; lng: number } {
  const [lat, lng] = centre(r);
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return {
    lat: Number(clamp(lat + (ctx.rnd() - 0.5) * 2 * spread, 30.552, 30.648).toFixed(6)),
    lng: Number(clamp(lng + (ctx.rnd() - 0.5) * 2 * spread, 114.252, 114.398).toFixed(6)),
  };
}

function squareAt(p: { lat: number; lng: number }, d = 0.0006) {
  const r = (x: number) => Number(x.toFixed(6));
  return {
    type: 'Polygon',
    coordinates: [
      [
        [r(p.lng - d), r(p.lat - d)],
        [r(p.lng + d), r(p.lat - d)],
        [r(p.lng + d), r(p.lat + d)],
        [r(p.lng - d), r(p.lat + d)],
        [r(p.lng - d), r(p.lat - d)],
      ],
    ],
  };
}

function uscc(sample: unknown, rnd: Rnd): string {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const head = typeof sample === 'string' && sample.length === 18 ? sample.slice(0, 2) : '12';
  let body = `${head}420999`;
  while (body.length < 17) body += chars[Math.floor(rnd() * chars.length)];
  return body + usccCheckChar(body);
}

function withYear(date: unknown, year: number): unknown {
  return typeof date === 'string' && /^\d{4}-/.test(date) ? `${year}${date.slice(4)}` : date;
}

/** Multiply the numbers of `keys` by k, keeping each field's type and precision (rules here are ≤/≥, so they hold). */
function scale(def: FormDefinition, data: Data, keys: string[], k: number): void {
  for (const key of keys) {
    const f = def.fields.find((x) => x.name === key) as LeafField | undefined;
    const v = data[key];
    if (!f || typeof v !== 'number') continue;
    if (f.type === 'integer') data[key] = Math.max(f.min ?? 0, Math.round(v * k));
    else if (f.type === 'decimal') data[key] = Math.max(f.min ?? 0, Number((v * k).toFixed(f.precision)));
  }
}

function placeOf(r: Rec, ctx: NameCtx): Place {
  const town = r.town.name.zh;
  const village = r.village?.name.zh;
  const villages = [...ctx.byCode.values()].filter((x) => x.parent === r.town.code).sort((a, b) => a.code.localeCompare(b.code));
  const someVillage = village ?? villages[(r.seq - 1) % Math.max(1, villages.length)]?.name.zh ?? town;
  return { county: ctx.county, town, townBase: bare(town), village, villageBase: village ? bare(village) : undefined, place: village ?? town, base: bare(village ?? town), someVillage };
}

const ORDINAL = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
const nth = (n: number) => ORDINAL[n - 1] ?? String(n);

const MAJOR_EVENTS: { name: string; hazard: string; start: string; end: string; text: string }[] = [
  { name: '1983年夏季特大洪涝灾害', hazard: 'flood', start: '1983-07-03', end: '1983-07-26', text: '入汛后连降暴雨,江河水位持续超警,沿江低洼地区渍涝严重。' },
  { name: '1991年江淮流域洪涝灾害', hazard: 'flood', start: '1991-06-12', end: '1991-07-15', text: '梅雨期长、雨量集中,府河沿线多处堤段出现管涌险情。' },
  { name: '1996年"7·14"洪涝灾害', hazard: 'flood', start: '1996-07-14', end: '1996-08-05', text: '强降雨叠加长江高水位,外洪内涝并发,农田大面积受淹。' },
  { name: '1998年长江流域特大洪涝灾害', hazard: 'flood', start: '1998-06-12', end: '1998-08-31', text: '长江干流多次洪峰过境,全区转移安置沿江群众,堤防全线防守。' },
  { name: '1999年梅汛期洪涝灾害', hazard: 'flood', start: '1999-06-23', end: '1999-07-10', text: '梅雨期暴雨集中,中小河流水位暴涨,部分村组被淹。' },
  { name: '2000年春夏连旱', hazard: 'drought', start: '2000-04-10', end: '2000-08-20', text: '春夏降水持续偏少,塘堰干涸,部分丘陵村组人畜饮水困难。' },
  { name: '2008年初低温雨雪冰冻灾害', hazard: 'low_temp_frost', start: '2008-01-12', end: '2008-02-05', text: '持续低温雨雪冰冻,电力通信线路受损,大棚蔬菜和林木受灾严重。' },
  { name: '2011年春夏连旱', hazard: 'drought', start: '2011-01-01', end: '2011-05-31', text: '冬春降水偏少七成,水库蓄水严重不足,早稻栽插受到影响。' },
  { name: '2013年伏秋连旱', hazard: 'drought', start: '2013-07-01', end: '2013-09-10', text: '伏期持续高温少雨,中稻抽穗扬花期受旱,部分田块绝收。' },
  { name: '2016年"7·6"特大暴雨洪涝灾害', hazard: 'flood', start: '2016-06-30', end: '2016-07-08', text: '一周内累计降雨超过500毫米,城区严重渍水,多处道路中断。' },
  { name: '2020年梅汛期洪涝灾害', hazard: 'flood', start: '2020-06-08', end: '2020-07-31', text: '入梅早、雨量大、持续时间长,长江和府河水位长时间超警戒。' },
];
/** Where the district's bureaus are (the county-level tables filled by an office). */
const OFFICE = { lat: 30.6215, lng: 114.3652 };
const DROUGHT_YEARS = new Set([1978, 1981, 1985, 1988, 1992, 2000, 2001, 2011, 2013, 2019]);

/** Readable names and places per table, over the catalog's valid sample (whose own names are of other counties). */
function names(r: Rec, pl: Place, ctx: NameCtx, data: Data): Data {
  const { rnd } = ctx;
  const { county, town, place, base, someVillage } = pl;
  const k = r.seq;
  const river = RIVERS[(r.formSeq + Number(r.town.code.slice(6, 9))) % RIVERS.length]!;
  const num = 1 + Math.floor(rnd() * 88);
  const group = pick(GROUPS, rnd);
  const office = pl.village ? `${pl.village}${pl.village.endsWith('社区') ? '居委会' : '村委会'}` : `${town}人民政府`;
  const seq3 = String(r.formSeq + 1).padStart(3, '0');
  switch (r.def.id) {
    // ── emergency
    case 'emergency.school':
      return { name: `${base}${['小学', '中学', '幼儿园', '第二小学', '中心幼儿园', '九年一贯制学校'][k - 1] ?? `第${nth(k)}小学`}`, address: `${county}${town}${place}${group}${num}号` };
    case 'emergency.medical-institution':
      return { name: `${base}${['卫生院', '卫生室', '社区卫生服务站', '中医诊所', '口腔门诊部', '第二卫生室'][k - 1] ?? `第${nth(k)}卫生室`}`, address: `${county}${town}${place}${num}号` };
    case 'emergency.hazchem-enterprise':
      return {
        name: `${county}${base}${['精细化工', '化工', '涂料', '气体', '新材料', '化学品仓储'][k - 1] ?? '化工'}有限公司`,
        address: `${county}化工园区${pick(['纬一路', '纬二路', '经三路', '经五路'], rnd)}${num}号`,
        park_name: `${county}化工园区`,
      };
    case 'emergency.shelter':
      return {
        name: k === 1 ? `${place}应急避难场所` : `${base}${['文化广场', '小学操场', '公园', '体育场', '中学操场', '滨江绿地'][k - 2] ?? `第${nth(k)}`}应急避难场所`,
        address: `${county}${town}${place}${num}号`,
        managing_unit: office,
      };
    case 'emergency.relief-depot':
      return { name: k === 1 ? `${place}救灾物资储备点` : `${place}第${nth(k)}救灾物资储备点`, address: `${county}${town}${place}${group}`, managing_unit: office };
    case 'emergency.township-capability':
      return { name: town, address: `${county}${town}人民政府` };
    case 'emergency.village-capability':
      return { name: `${town}${place}`, address: `${county}${town}${office}` };
    case 'emergency.annual-disaster': {
      const year = 1978 + (r.formSeq % 43);
      return { name: `${county}应急管理局`, address: `${county}沿江大道88号`, location: OFFICE, year, hazard: year === 2008 ? 'low_temp_frost' : DROUGHT_YEARS.has(year) ? 'drought' : year % 7 === 3 ? 'hail_wind' : 'flood' };
    }
    case 'emergency.major-disaster-event': {
      const e = MAJOR_EVENTS[r.formSeq % MAJOR_EVENTS.length]!;
      const places = [...ctx.byCode.values()].filter((x) => x.level === 'township').map((x) => x.name.zh);
      return {
        name: `${county}应急管理局`,
        address: `${county}沿江大道88号`,
        event_name: e.name,
        hazard: e.hazard,
        start_date: e.start,
        end_date: e.end,
        affected_places: places.slice(0, 2 + (r.formSeq % 3)).join('、'),
        description: e.text,
        data_source: pick([`${county}志`, '自然灾害情况统计报表', `${county}水利志`], rnd),
      };
    }
    // ── agriculture
    case 'agriculture.reservoir': {
      const name = `${['红旗', '东风', '跃进', '向阳', '团结', '长岭', '白鹤', '清水', '龙潭', '金盆', '五一', '胜利', '大冲', '黄泥湾'][r.formSeq % 14]}水库`;
      return { name, address: `${town}${someVillage}北${1 + (num % 4)}公里`, river, management_unit: `${name}管理所`, reporting_unit: `${county}水务和湖泊局` };
    }
    case 'agriculture.sluice': {
      const name = `${['新沟', '朱家河', '东湖', '沙口', '白沙', '黄家湖', '汤湖', '青菱', '武湖', '涨渡湖', '马家', '柳河', '杨家湾', '石桥'][r.formSeq % 14]}闸`;
      return { name, address: `${town}${someVillage}`, river, dike_name: `${river}右岸堤防`, management_unit: `${name}管理所`, reporting_unit: `${county}水务和湖泊局` };
    }
    case 'agriculture.dike': {
      const start = pointNear(r, ctx, 0.006);
      return {
        name: `${river}${k % 2 ? '右岸' : '左岸'}${pl.townBase}段堤防${k > 2 ? `(${nth(k)}段)` : ''}`,
        address: `${town}${someVillage}至${pl.townBase}集镇`,
        river,
        start_location: start,
        end_location: { lat: Number((start.lat + 0.006).toFixed(6)), lng: Number((start.lng + 0.009).toFixed(6)) },
        management_unit: `${river}堤防管理所`,
        reporting_unit: `${county}水务和湖泊局`,
      };
    }
    case 'agriculture.water-supply-use':
      return { year: 2017 + (r.formSeq % 4), reporting_unit: `${county}水务和湖泊局` };
    case 'agriculture.drought-capacity':
      return { reporting_unit: `${county}水务和湖泊局` };
    case 'agriculture.urban-water-source':
      return { name: `${['城北', '长江', '府河', '云溪', '石桥'][r.formSeq % 5]}水源地`, towns_served: `${town}`, reporting_unit: `${county}水务和湖泊局` };
    case 'agriculture.drought-losses': {
      const year = 2008 + (r.formSeq % 13);
      return { year, start_date: withYear(data.start_date, year), end_date: withYear(data.end_date, year), reporting_unit: `${county}农业农村局` };
    }
    case 'agriculture.crop-losses': {
      const year = 2020 - ((r.formSeq * 3) % 10);
      return { year, start_date: withYear(data.start_date, year), end_date: withYear(data.end_date, year), reporting_unit: `${town}农业服务中心` };
    }
    // ── forestry
    case 'forestry.fuel-plot':
      return { plot_no: `BZD-420999-${seq3}`, admin_area: `${county}${town}${place}`, survey_unit: `${county}林业和草原局` };
    case 'forestry.ignition-source':
      return {
        name: `${place}${['村民田埂烧荒', '坟地祭祀用火点', '林缘农事用火点', '景区野外吸烟点', '林区施工用火点', '秸秆焚烧点'][(k - 1) % 6]}`,
        address: `${town}${place}${group}`,
        approval_no: `江林火许字〔2020〕${num}号`,
        approving_authority: `${county}林业和草原局`,
        handling_unit: `${county}森林公安分局`,
        survey_unit: `${county}林业和草原局`,
      };
    case 'forestry.fire-history': {
      const year = 2001 + ((r.formSeq * 7) % 20);
      return {
        fire_no: `${year}-420999-${seq3}`,
        ignition_date: withYear(data.ignition_date, year),
        extinguished_date: withYear(data.extinguished_date, year),
        place: `${town}${someVillage}${pick(['老虎冲', '黄土岭', '松树坳', '大山头', '杉木湾'], rnd)}`,
        survey_unit: `${county}林业和草原局`,
      };
    }
    case 'forestry.fire-crew':
      return {
        crew_name: k === 1 ? (pl.someVillage === place && r.village?.code.endsWith('001') ? `${town}森林消防半专业队` : `${place}护林防火队`) : `${place}护林防火队(${nth(k)}分队)`,
        management_unit: `${town}人民政府`,
        address: `${town}${place}${num}号`,
        survey_unit: `${county}林业和草原局`,
      };
    case 'forestry.lookout-facility':
      return {
        name: `${base}${['顶', '山', '岭', '尖', '坳'][(k - 1) % 5]}瞭望塔${k > 5 ? nth(k) : ''}`,
        facility_code: `LWT-420999-${seq3}`,
        address: `${town}${place}${base}${['顶', '山', '岭', '尖', '坳'][(k - 1) % 5]}`,
        management_unit: `${town}林业站`,
        survey_unit: `${county}林业和草原局`,
      };
    case 'forestry.fire-depot':
      return { name: k === 1 ? `${place}森林防火物资储备点` : `${place}森林防火物资储备点(${nth(k)})`, address: `${town}${place}${group}`, management_unit: `${town}林业站`, survey_unit: `${county}林业和草原局` };
    case 'forestry.firebreak': {
      const start = pointNear(r, ctx);
      const end = { lat: Number((start.lat + 0.004).toFixed(6)), lng: Number((start.lng + 0.006).toFixed(6)) };
      const d = 0.0001;
      return {
        name: `${base}木荷防火林带${k}号`,
        management_unit: `${town}林业站`,
        start_point: start,
        end_point: end,
        footprint: { type: 'Polygon', coordinates: [[[start.lng, start.lat], [end.lng, end.lat], [end.lng + d, end.lat - d], [start.lng + d, start.lat - d], [start.lng, start.lat]]] },
        address: `${town}${place}${group}山场`,
        survey_unit: `${county}林业和草原局`,
      };
    }
    // ── housing
    case 'housing.rural-house':
      return { building_id: `${r.cell.regionCode}-${String(r.seq * 7 + 3).padStart(4, '0')}`, site: `${county}${town}${place}${group}${num}号`, householder: `${pick(SURNAMES, rnd)}**`, id_number: undefined };
    case 'housing.rural-nonresidential':
      return { building_id: `${r.cell.regionCode}-${String(900 + k).padStart(4, '0')}`, name: `${place}${k === 1 ? (place.endsWith('社区') ? '居民委员会办公楼' : '村民委员会办公楼') : '党群服务中心'}`, site: `${county}${town}${place}${group}`, owner: `${place}${place.endsWith('社区') ? '居民委员会' : '村民委员会'}` };
    case 'housing.urban-residential':
      return { building_id: `${r.cell.regionCode}-R${String(r.seq).padStart(3, '0')}`, name: `${base}${pick(['花园', '小区', '新村', '家园'], rnd)}${k}号楼`, address: `${county}${town}${base}路${num}号`, property_unit: `${county}住房保障和房屋管理局` };
    case 'housing.urban-nonresidential':
      return { building_id: `${r.cell.regionCode}-N${String(r.seq).padStart(3, '0')}`, name: `${pl.townBase}${['卫生院门诊楼', '中心小学教学楼', '便民服务中心', '农贸市场'][(k - 1) % 4]}`, address: `${county}${town}${base}路${num}号`, property_unit: `${town}人民政府` };
    case 'housing.municipal-road': {
      const roads = ['沿江大道', `${pl.townBase}路`, '和平大道', '建设路', '工业大道', '友谊路'];
      return { name: roads[(r.formSeq) % roads.length], road_code: `JB-R${String(r.formSeq + 1).padStart(3, '0')}`, start_point: `${pl.townBase}大桥`, end_point: `${someVillage}路口`, management_unit: `${county}市政设施管理中心`, hazard_description: '低洼路段雨季易积水,已设置排水泵站和警示标志' };
    }
    case 'housing.municipal-bridge':
      return { name: `${river}${pick(['大桥', '桥', '二桥'], rnd)}`, bridge_code: `JB-B${String(r.formSeq + 1).padStart(3, '0')}`, road_name: '沿江大道', management_unit: `${county}市政设施管理中心`, defects: '桥面铺装局部破损,伸缩缝有堵塞' };
    case 'housing.water-plant':
      return { name: `${county}第${nth(r.formSeq + 1)}水厂`, operator: `${county}水务集团有限公司`, address: `${county}${town}${base}路${num}号` };
    case 'housing.water-pipeline':
      return { name: `${county}第${nth(r.formSeq + 1)}水厂${pl.townBase}输水干线`, operator: `${county}水务集团有限公司`, start_point: `${county}第${nth(r.formSeq + 1)}水厂`, end_point: `${town}加压泵站` };
  }
  return {};
}

/**
 * The answers of one record: the catalog's valid sample (generateSample + the table's `sample`), then readable names,
 * places in the district, the record's own dates and people; with photo ids (the caller stores the files) unless it is a draft.
 */
function buildData(r: Rec, ctx: NameCtx, regions: Region[], at: number, withPhotos: boolean): { data: Data; photos: string[] } {
  const { rnd } = ctx;
  const def = r.def;
  const data: Data = generateSample(def, r.sample, { random: rnd, regionCode: r.cell.regionCode });
  const pl = placeOf(r, ctx);

  // Variety in the series tables (one record per year): scaled losses, some years without drought.
  if (def.id === 'emergency.annual-disaster') {
    scale(def, data, def.fields.filter((f) => f.section === 'losses').map((f) => f.name), 0.25 + rnd() * 1.1);
  }
  if (def.id === 'agriculture.drought-losses') {
    scale(def, data, def.fields.map((f) => f.name).filter((n) => n !== 'sown_area' && n !== 'year'), 0.15 + rnd() * 0.8);
  }

  const own = names(r, pl, ctx, data);
  if (r.final === 'returned' || r.cycle) {
    r.note = returnNote(r, rnd);
    // The area-rounding check of the housing review (DOMAIN.md §3): the surveyor typed a round area, corrected later.
    const area = data.floor_area;
    if (r.note.includes('整数') && typeof area === 'number') {
      own.floor_area = Math.max(10, Math.round(area / 10) * 10);
      r.fix = { floor_area: area };
    }
  }
  const point = pointNear(r, ctx);
  for (const { field, parent } of allFields(def)) {
    if (parent) continue;
    const name = field.name;
    if (!(name in data) || name in own) continue;
    const v = data[name];
    if (field.type === 'geopoint') data[name] = name === 'location' ? point : pointNear(r, ctx);
    else if (field.type === 'geoshape') data[name] = squareAt(point);
    else if (field.type === 'text' && field.format === 'uscc') data[name] = uscc(v, rnd);
    else if (field.type === 'text' && PERSON_FIELDS.includes(name)) data[name] = person(rnd);
    else if (field.type === 'date' && (name === 'fill_date' || name === 'survey_date')) data[name] = isoDate(at);
  }
  Object.assign(data, own);
  for (const [k, v] of Object.entries(own)) if (v === undefined) delete data[k];

  // Drop what the sample left as a placeholder ("备注示例", "其他…示例") where the field may be left empty.
  const cleanPlaceholders = (fields: readonly { name: string; type: string; required?: unknown }[], row: Data) => {
    for (const f of fields) {
      const v = row[f.name];
      if (f.type === 'text' && typeof v === 'string' && v.endsWith('示例') && !(f.name in own) && f.required !== true) delete row[f.name];
    }
  };
  cleanPlaceholders(def.fields as { name: string; type: string; required?: unknown }[], data);
  for (const f of def.fields) {
    if (f.type === 'repeat' && Array.isArray(data[f.name])) for (const row of data[f.name] as Data[]) cleanPlaceholders(f.fields, row);
  }

  // Only what applies (irrelevant answers are dropped as the validator drops them), then photos for what remains.
  const checked = validate(def, data, { mode: 'draft', regionExists: (c) => regions.some((x) => x.code === c) });
  const out: Data = checked.ok ? checked.data : data;
  const photoIds: string[] = [];
  for (const { field, parent } of allFields(def)) {
    if (field.type !== 'photo' && field.type !== 'file') continue;
    const rows: Data[] = parent ? ((Array.isArray(out[parent.name]) ? out[parent.name] : []) as Data[]) : [out];
    for (const row of rows) {
      if (!(field.name in row)) continue;
      if (!withPhotos) {
        delete row[field.name];
        continue;
      }
      const id = uuid(rnd);
      photoIds.push(id);
      row[field.name] = field.multiple ? [id] : id;
    }
  }
  return { data: out, photos: photoIds };
}

/** Run `fn` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A version-4 UUID from the seeded random, so the demo records have the same ids on every fresh start. */
function uuid(rnd: Rnd): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16));
  hex[12] = '4';
  hex[16] = '89ab'[Math.floor(rnd() * 4)]!;
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
