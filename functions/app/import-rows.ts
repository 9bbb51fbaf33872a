/**
 * The rows of an import file, checked exactly as a submission is: shared by validate-import (the preview) and
 * commit-import (which checks every row again, so nothing that changed in between slips through).
 *
 * Per row: the cells become answers (domain/tabular.ts); the region is one of the district's regions at the form's
 * level and inside the caller's write scope; the answers pass the one validator in submit mode (or draft mode for an
 * import of drafts); the row's key is not used twice in the file. Errors carry the row number, the column and the
 * message in zh and en.
 *
 * Stable ids (re-importing creates no duplicates): a row whose `_id` cell is a UUID — an export's record id — keeps
 * that id, so records exported from one district arrive in another under the same ids, and an export imported back
 * into its own district finds its own records. Any other row gets a name-based UUID (version 5 layout, SHA-1) of the
 * form id and the row's key: the `_id` cell when the row has one (a key the office chose), else the file's import key
 * (the request's `key`, else the file name, else a hash of the file) and the row number. The same row imported again
 * gets the same id, which saveSubmission answers as a replay (unchanged) or a conflict (other content, left as it is).
 */
import { createHash } from 'node:crypto';
import { can } from '#domain/access';
import type { FormDefinition } from '#domain/forms';
import { isUuid } from '#domain/identifiers';
import type { Principal } from '#domain/principal';
import type { Region } from '#domain/regions';
import { columnOfPath, mapRow, readLayout, type CellValue, type RowError, type SheetLayout } from '#domain/tabular';
import { validate } from '#domain/validate';

/** Namespace of import ids (a fixed random UUID; never change it, or re-imports stop matching). */
const NAMESPACE = Buffer.from('5b0e4a8c3f1d4e2a9c7b6d5e4f3a2b1c', 'hex');

/** Name-based UUID (RFC 9562 version 5 layout) of a name in our namespace. */
export function nameUuid(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The submission id of an imported row (see the module comment). */
export function importRowId(formId: string, importKey: string, rowKey: string | undefined, rowNumber: number): string {
  if (rowKey !== undefined && isUuid(rowKey.toLowerCase())) return rowKey.toLowerCase();
  return rowKey !== undefined ? nameUuid(`${formId}\nkey\n${rowKey}`) : nameUuid(`${formId}\nfile\n${importKey}\nrow\n${rowNumber}`);
}

/** The import key of a file without an explicit one: its name, else a hash of its bytes. */
export function defaultImportKey(fileName: string | null | undefined, bytes: Uint8Array): string {
  return fileName ? `name:${fileName}` : `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
}

export interface CheckedRow {
  row: number;
  id: string;
  regionCode?: string;
  /** The answers as read from the file (the body sent to saveSubmission). */
  data: Record<string, unknown>;
  /** The answers as the validator cleaned them (what the store would hold). */
  clean: Record<string, unknown>;
  errors: RowError[];
}

export interface RowContext {
  def: FormDefinition;
  regions: readonly Region[];
  principal: Principal;
  submit: boolean;
  importKey: string;
  today?: string;
}

const E = (row: number, column: string | null, code: string, zh: string, en: string): RowError => ({ row, column, code, message: { zh, en } });

const LEVEL_ZH: Record<Region['level'], string> = { county: '区（县）', township: '乡镇（街道）', village: '村（社区）' };

/** The layout of the sheet (header row, columns) and the rows after it, checked one by one. */
export function checkSheet(ctx: RowContext, rows: readonly (readonly CellValue[])[]): { layout: SheetLayout; dataRows: number; rows: Generator<CheckedRow> } {
  const layout = readLayout(ctx.def, rows);
  const dataRows = Math.max(0, rows.length - layout.codeRow - 1);
  return { layout, dataRows, rows: checkRows(ctx, layout, rows) };
}

function* checkRows(ctx: RowContext, layout: SheetLayout, rows: readonly (readonly CellValue[])[]): Generator<CheckedRow> {
  const { def } = ctx;
  const byCode = new Map(ctx.regions.map((r) => [r.code, r]));
  const regionExists = (c: string) => byCode.has(c);
  const keys = new Map<string, number>();
  const fileBroken = layout.errors.length > 0;
  for (let i = layout.codeRow + 1; i < rows.length; i++) {
    const row = i + 1;
    const m = mapRow(layout, rows[i]!, row);
    if (m.empty) continue;
    const errors = [...m.errors];
    if (fileBroken) errors.push(E(row, null, 'file', '文件表头有误，未导入此行', 'The file header is wrong; this row was not imported'));
    if (m.key !== undefined) {
      const first = keys.get(m.key);
      if (first !== undefined) errors.push(E(row, '_id', 'duplicate-key', `记录标识与第${first}行重复`, `Same record key as row ${first}`));
      else keys.set(m.key, row);
    }
    if (m.regionCode !== undefined) {
      const region = byCode.get(m.regionCode);
      if (!region) errors.push(E(row, '_region', 'region', `本区没有区划${m.regionCode}`, `No region ${m.regionCode} in this district`));
      else if (region.level !== def.regionLevel) {
        errors.push(E(row, '_region', 'region-level', `此表按${LEVEL_ZH[def.regionLevel]}填报`, `This form is filed per ${def.regionLevel}`));
      } else if (!can(ctx.principal, 'submission.write', { sector: def.sector, regionCode: m.regionCode })) {
        errors.push(E(row, '_region', 'forbidden', '该区划不在您的填报范围内', 'This region is outside the regions you may file for'));
      }
    } else if (!errors.some((e) => e.column === '_region')) {
      errors.push(E(row, '_region', 'required', '缺少区划代码', 'The region code is missing'));
    }
    const v = validate(def, m.data, { mode: ctx.submit ? 'submit' : 'draft', regionExists, ...(ctx.today ? { today: ctx.today } : {}) });
    const reported = new Set(m.errors.map((e) => e.column));
    for (const e of v.errors) {
      const column = columnOfPath(e.path);
      if (column && reported.has(column)) continue; // the cell could not be read; "required" on top of that says nothing new
      const where = column && e.path !== `data.${column}` ? `（${e.path.slice(5)}）` : '';
      errors.push({ row, column, code: e.code, message: where ? { zh: `${e.message.zh}${where}`, en: `${e.message.en} (${e.path.slice(5)})` } : e.message });
    }
    yield {
      row,
      id: importRowId(def.id, ctx.importKey, m.key, row),
      ...(m.regionCode !== undefined ? { regionCode: m.regionCode } : {}),
      data: m.data,
      clean: v.data,
      errors,
    };
  }
}
