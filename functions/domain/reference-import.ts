/**
 * Importing reference data from spreadsheets: the region tree (from the official division-code list) and targets (from
 * task lists). Pure planning: rows in, a preview and per-row errors out; the use cases write only a plan without errors.
 *
 * Rows are arrays of cells; the first row that names the columns is the header (English or Chinese names, any order);
 * without a recognisable header the columns are taken in the documented order. Row numbers in errors are the file's
 * 1-based line numbers.
 */
import { cellText, type CellValue, type RowError } from './tabular';
import { isRegionCode, levelOf, parentCode, type Region } from './regions';

// ───────────────────────────── header matching ─────────────────────────────

function findHeader(rows: readonly (readonly CellValue[])[], aliases: Record<string, readonly string[]>, defaults: readonly string[]) {
  const norm = (c: CellValue) => cellText(c).normalize('NFKC').toLowerCase().replace(/[\s*＊]/g, '');
  for (let i = 0; i < Math.min(5, rows.length); i++) {
    const cells = rows[i]!.map(norm);
    const map: Record<string, number> = {};
    for (const [key, names] of Object.entries(aliases)) {
      const idx = cells.findIndex((c) => names.includes(c));
      if (idx >= 0) map[key] = idx;
    }
    if (Object.keys(map).length >= 2) return { headerRow: i, index: map };
  }
  return { headerRow: -1, index: Object.fromEntries(defaults.map((k, i) => [k, i])) as Record<string, number> };
}

const err = (row: number, column: string | null, code: string, zh: string, en: string): RowError => ({ row, column, code, message: { zh, en } });

// ───────────────────────────── regions ─────────────────────────────

export const REGION_COLUMNS = ['code', 'name', 'parent', 'name_en'] as const;
const REGION_ALIASES = {
  code: ['code', 'regioncode', '代码', '区划代码', '统计用区划代码'],
  name: ['name', 'namezh', '名称', '区划名称', '中文名称'],
  parent: ['parent', 'parentcode', '上级', '上级代码', '上级区划代码'],
  name_en: ['nameen', 'name_en', 'englishname', '英文名称'],
} as const;

export interface RegionChange {
  row: number;
  region: Region;
  change: 'new' | 'renamed' | 'unchanged';
}

export interface RegionImportPlan {
  total: number;
  errors: RowError[];
  changes: RegionChange[];
  /** Regions to write (new or renamed); empty when there are errors. */
  writes: Region[];
}

/**
 * Plan a region import against the district's current tree.
 * Per row: the code is a 12-digit county/township/village code (its level follows from the code); the name is given
 * (at most 60 characters); a parent, when given, is the one the code implies (a village's township, a township's county);
 * the parent exists already or is in the file; a code appears once; every code lies in the district's county (when the
 * district has none yet, the file holds exactly one county). Regions are never deleted by an import.
 */
export function planRegionImport(rows: readonly (readonly CellValue[])[], existing: readonly Region[]): RegionImportPlan {
  const { headerRow, index } = findHeader(rows, REGION_ALIASES, ['code', 'name', 'parent', 'name_en']);
  const errors: RowError[] = [];
  const byCode = new Map(existing.map((r) => [r.code, r]));
  const fileCodes = new Map<string, number>();
  const parsed: { row: number; code: string; name: string; nameEn?: string; parent: string | null }[] = [];
  let total = 0;

  if (index.code === undefined || index.name === undefined) {
    errors.push(err(headerRow + 1, null, 'missing-column', '需要“代码”和“名称”两列', 'The file needs code and name columns'));
    return { total: 0, errors, changes: [], writes: [] };
  }
  for (let i = headerRow + 1; i < rows.length; i++) {
    const cells = rows[i]!;
    const row = i + 1;
    const get = (k: string) => (index[k] === undefined ? '' : cellText(cells[index[k]!]));
    const code = get('code').replace(/\s/g, '');
    const name = get('name');
    const parentRaw = get('parent').replace(/\s/g, '');
    const nameEn = get('name_en');
    if (!code && !name && !parentRaw) continue;
    total++;
    let ok = true;
    if (!/^\d{12}$/.test(code) || !isRegionCode(code)) {
      errors.push(err(row, 'code', 'code', `“${code}”不是有效的12位区划代码`, `"${code}" is not a valid 12-digit region code`));
      ok = false;
    } else if (fileCodes.has(code)) {
      errors.push(err(row, 'code', 'duplicate', `代码与第${fileCodes.get(code)}行重复`, `Same code as row ${fileCodes.get(code)}`));
      ok = false;
    }
    if (!name) {
      errors.push(err(row, 'name', 'required', '缺少名称', 'The name is missing'));
      ok = false;
    } else if ([...name].length > 60) {
      errors.push(err(row, 'name', 'too-long', '名称不能超过60个字', 'Names are at most 60 characters'));
      ok = false;
    }
    if (ok) {
      const implied = parentCode(code);
      if (parentRaw && parentRaw !== implied) {
        errors.push(
          err(row, 'parent', 'parent-mismatch', `上级应为${implied ?? '空'}（由代码推断）`, `The parent must be ${implied ?? 'empty'} (implied by the code)`),
        );
        ok = false;
      }
      fileCodes.set(code, row);
      if (ok) parsed.push({ row, code, name, ...(nameEn ? { nameEn } : {}), parent: implied });
    } else if (/^\d{12}$/.test(code) && !fileCodes.has(code)) fileCodes.set(code, row);
  }

  // The district: the existing county, else the one county of the file.
  const existingCounty = existing.find((r) => r.level === 'county')?.code;
  const fileCounties = parsed.filter((p) => levelOf(p.code) === 'county');
  let county = existingCounty;
  if (!county) {
    if (fileCounties.length === 1) county = fileCounties[0]!.code;
    else if (fileCounties.length > 1) {
      for (const c of fileCounties.slice(1)) errors.push(err(c.row, 'code', 'second-county', '一个区（县）只能有一个县级区划', 'A district has exactly one county-level region'));
    } else if (parsed.length) {
      errors.push(err(parsed[0]!.row, 'code', 'no-county', '本区尚无县级区划，文件中需要包含一个', 'The district has no county yet; the file must contain one'));
    }
  }
  const changes: RegionChange[] = [];
  for (const p of parsed) {
    if (county && p.code.slice(0, 6) !== county.slice(0, 6)) {
      errors.push(err(p.row, 'code', 'other-district', `不属于本区（${county}）`, `Not in this district (${county})`));
      continue;
    }
    if (p.parent && !byCode.has(p.parent) && !fileCodes.has(p.parent)) {
      errors.push(err(p.row, 'parent', 'parent-missing', `上级区划${p.parent}不存在，也不在文件中`, `Parent ${p.parent} neither exists nor is in the file`));
      continue;
    }
    const old = byCode.get(p.code);
    const region: Region = { code: p.code, name: { zh: p.name, en: p.nameEn ?? old?.name.en ?? p.name }, level: levelOf(p.code)!, parent: p.parent };
    const change = !old ? 'new' : old.name.zh !== region.name.zh || old.name.en !== region.name.en ? 'renamed' : 'unchanged';
    changes.push({ row: p.row, region, change });
  }
  errors.sort((a, b) => a.row - b.row);
  return { total, errors, changes, writes: errors.length ? [] : changes.filter((c) => c.change !== 'unchanged').map((c) => c.region) };
}

// ───────────────────────────── targets ─────────────────────────────

const TARGET_ALIASES = {
  formId: ['formid', 'form', '表', '调查表', '调查表代码', '表代码'],
  regionCode: ['regioncode', 'region', '区划代码', '区划', '代码'],
  target: ['target', '任务数', '任务量', '目标'],
} as const;

export interface TargetFormRef {
  id: string;
  regionLevel: Region['level'];
}

export interface TargetChangePlan {
  row: number;
  formId: string;
  regionCode: string;
  before: number | null;
  target: number;
  changed: boolean;
}

export interface TargetImportPlan {
  total: number;
  errors: RowError[];
  changes: TargetChangePlan[];
}

export const MAX_TARGET = 1_000_000;

/**
 * Plan a target import: per row the form exists, the region exists in the district at the form's level, the target is a
 * whole number 0–1,000,000, and each (form, region) appears once. `current` gives today's targets (for the preview).
 */
export function planTargetImport(
  rows: readonly (readonly CellValue[])[],
  forms: readonly TargetFormRef[],
  regions: readonly Region[],
  current: ReadonlyMap<string, number>,
): TargetImportPlan {
  const { headerRow, index } = findHeader(rows, TARGET_ALIASES, ['formId', 'regionCode', 'target']);
  const errors: RowError[] = [];
  const changes: TargetChangePlan[] = [];
  const seen = new Map<string, number>();
  const regionByCode = new Map(regions.map((r) => [r.code, r]));
  let total = 0;
  for (let i = headerRow + 1; i < rows.length; i++) {
    const cells = rows[i]!;
    const row = i + 1;
    const get = (k: string) => (index[k] === undefined ? '' : cellText(cells[index[k]!]));
    const formId = get('formId');
    const regionCode = (/^\s*(\d{12})/.exec(get('regionCode'))?.[1] ?? get('regionCode')).trim();
    const targetText = get('target').normalize('NFKC').replace(/,/g, '');
    if (!formId && !regionCode && !targetText) continue;
    total++;
    const form = forms.find((f) => f.id === formId);
    if (!form) {
      errors.push(err(row, 'formId', 'unknown-form', `没有调查表“${formId}”`, `No form "${formId}"`));
      continue;
    }
    const region = regionByCode.get(regionCode);
    if (!region) {
      errors.push(err(row, 'regionCode', 'unknown-region', `本区没有区划“${regionCode}”`, `No region "${regionCode}" in this district`));
      continue;
    }
    if (region.level !== form.regionLevel) {
      errors.push(err(row, 'regionCode', 'region-level', `此表按${LEVEL_ZH[form.regionLevel]}级填报`, `This form is filed per ${form.regionLevel}`));
      continue;
    }
    if (!/^\d{1,7}$/.test(targetText) || Number(targetText) > MAX_TARGET) {
      errors.push(err(row, 'target', 'target', '任务数应为 0 到 1000000 的整数', 'The target is a whole number from 0 to 1,000,000'));
      continue;
    }
    const key = `${form.id}#${region.code}`;
    if (seen.has(key)) {
      errors.push(err(row, null, 'duplicate', `与第${seen.get(key)}行重复`, `Same form and region as row ${seen.get(key)}`));
      continue;
    }
    seen.set(key, row);
    const target = Number(targetText);
    const before = current.has(key) ? current.get(key)! : null;
    changes.push({ row, formId: form.id, regionCode: region.code, before, target, changed: before !== target });
  }
  return { total, errors, changes };
}

const LEVEL_ZH: Record<Region['level'], string> = { county: '区（县）', township: '乡镇（街道）', village: '村（社区）' };
