/**
 * Spreadsheet files in and out, around the pure table model of domain/tabular.ts:
 *  - streaming writers for exports (CSV via csv-stringify, XLSX via exceljs' streaming WorkbookWriter, GeoJSON by hand):
 *    rows go in a page at a time, bytes come out of `stream` and go straight to storage, so memory stays flat;
 *  - readers for imports (CSV in UTF-8 or GB18030 — what Excel on Chinese Windows writes — and XLSX);
 *  - the import template (XLSX with drop-down lists and a notes sheet, or CSV) and the import report (CSV).
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import { parse as parseCsv } from 'csv-parse/sync';
import { BOM, neutraliseCell, stripBom } from '#domain/csv';
import type { FormDefinition, Localized } from '#domain/forms';
import type { Region } from '#domain/regions';
import { columnFormat, exportColumns, formatCell, headerLabel, META, templateColumns, type CellValue, type Column, type RowError } from '#domain/tabular';
import type { Submission } from './ports';

export const EXPORT_FORMATS = ['csv', 'xlsx', 'geojson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const IMPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  geojson: 'application/geo+json',
};

/** A streaming writer of one export file. `write` resolves once the rows are handed on (it waits for back-pressure). */
export interface TableWriter {
  readonly stream: Readable;
  write(rows: readonly Submission[]): Promise<void>;
  end(): Promise<void>;
}

function metaValue(col: Column, s: Submission): string | number | null {
  switch (col.code) {
    case META.id:
      return s.id;
    case META.region:
      return s.regionCode;
    case META.status:
      return s.status;
    case META.formVersion:
      return s.formVersion;
    case META.updatedAt:
      return s.updatedAt;
    default:
      return null;
  }
}

function rowValues(cols: readonly Column[], s: Submission, style: 'code' | 'label', lang: 'zh' | 'en'): (string | number | null)[] {
  return cols.map((c) => (c.kind === 'meta' ? metaValue(c, s) : formatCell(c.field!, s.data[c.code], style, lang)));
}

/** Wait until a writable side can take more (back-pressure), or fail if the stream broke. */
async function drained(w: NodeJS.WritableStream & { writableNeedDrain?: boolean }): Promise<void> {
  if (w.writableNeedDrain) await once(w as never, 'drain');
}

/**
 * Back-pressure inside exceljs' streaming writer, which has none of its own: a worksheet's XML goes into a StreamBuf that
 * hands each 64 KiB on to the zip entry's stream without looking at write()'s return value, so rows added faster than
 * the zip deflates them queue up in memory (measured: ~2 KB per row of the rural-house form, 39 MB for 20,000 rows
 * written at full speed). Wait until the entry's stream wants more. Reaches into exceljs 4.4.0 (pinned) and archiver:
 * the worksheet's `stream` (a StreamBuf), the streams it pipes to (a readable-stream PassThrough, without the
 * `writableNeedDrain` getter, hence `_writableState`). If those ever change this waits for nothing; the export-scale
 * test's memory bound is what notices.
 */
type Sink = NodeJS.WritableStream & { _writableState?: { needDrain?: boolean }; destroyed?: boolean };
async function sheetDrained(ws: ExcelJS.Worksheet): Promise<void> {
  const sinks = (ws as unknown as { stream?: { pipes?: Sink[] } }).stream?.pipes ?? [];
  for (const sink of sinks) {
    if (!sink._writableState?.needDrain || sink.destroyed) continue;
    // One promise whose listeners all go when it settles (racing two `once` promises would leave the loser's listeners
    // on the stream: a few hundred bytes per page, for the whole export).
    await new Promise<void>((resolve, reject) => {
      const settle = (e?: unknown) => {
        sink.off('drain', settle);
        sink.off('close', settle);
        sink.off('error', settle);
        if (e instanceof Error) reject(e);
        else resolve();
      };
      sink.on('drain', settle);
      sink.on('close', settle);
      sink.on('error', settle);
    });
  }
}

/**
 * CSV: BOM, a header row of column codes (field names), RFC 4180 quoting, CRLF, every cell neutralised.
 * `quote_record_delimiter` must be set: with an explicit record delimiter csv-stringify would otherwise leave a field
 * holding a lone LF or CR unquoted.
 */
export function csvWriter(def: Pick<FormDefinition, 'fields'>): TableWriter {
  const cols = exportColumns(def);
  const s = stringify({ bom: true, record_delimiter: 'windows', quote_record_delimiter: true, cast: { string: (v: string) => neutraliseCell(v) } });
  s.write(cols.map((c) => c.code));
  return {
    stream: s,
    async write(rows) {
      for (const sub of rows) {
        if (!s.write(rowValues(cols, sub, 'code', 'zh').map((v) => (v === null ? '' : String(v))))) await drained(s);
      }
    },
    async end() {
      s.end();
    },
  };
}

/** A worksheet name: at most 31 characters, none of []:*?/\. */
function sheetName(s: string): string {
  return s.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet1';
}

/** XLSX (streaming): row 1 labels (with unit and * for required), row 2 column codes, then one row per record with choice labels. */
export function xlsxWriter(def: Pick<FormDefinition, 'fields' | 'title'>, lang: 'zh' | 'en' = 'zh'): TableWriter {
  const cols = exportColumns(def);
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet(sheetName(def.title[lang]), { views: [{ state: 'frozen', ySplit: 2 }] });
  ws.columns = cols.map((c) => ({ key: c.code, width: Math.min(40, Math.max(10, [...headerLabel(c, lang)].length * 2)) }));
  const head = ws.addRow(cols.map((c) => headerLabel(c, lang)));
  head.font = { bold: true };
  head.commit();
  const codes = ws.addRow(cols.map((c) => c.code));
  codes.font = { color: { argb: 'FF6B7280' } };
  codes.commit();
  return {
    stream: out,
    async write(rows) {
      for (const sub of rows) ws.addRow(rowValues(cols, sub, 'label', lang)).commit();
      await sheetDrained(ws);
      await drained(out);
    },
    async end() {
      ws.commit();
      await wb.commit();
    },
  };
}

/**
 * GeoJSON FeatureCollection: geometry from the first answered geoshape (Polygon), else the first geotrace (LineString),
 * else the first geopoint; properties = the other cells (notes have none).
 */
export function geojsonWriter(def: Pick<FormDefinition, 'fields' | 'id'>): TableWriter {
  const cols = exportColumns(def);
  // Polygons first, then lines, in definition order within each kind.
  const shapes = [
    ...def.fields.filter((f) => f.type === 'geoshape').map((f) => ({ name: f.name, type: 'Polygon' })),
    ...def.fields.filter((f) => f.type === 'geotrace').map((f) => ({ name: f.name, type: 'LineString' })),
  ];
  const points = def.fields.filter((f) => f.type === 'geopoint').map((f) => f.name);
  const out = new PassThrough();
  let first = true;
  out.write(`{"type":"FeatureCollection","name":${JSON.stringify(def.id)},"features":[\n`);
  return {
    stream: out,
    async write(rows) {
      for (const sub of rows) {
        let geometry: unknown = null;
        let used: string | undefined;
        for (const { name, type } of shapes) {
          const v = sub.data[name] as { coordinates?: unknown } | undefined;
          if (v?.coordinates) {
            geometry = { type, coordinates: v.coordinates };
            used = name;
            break;
          }
        }
        if (!geometry) {
          for (const n of points) {
            const v = sub.data[n] as { lat?: number; lng?: number } | undefined;
            if (typeof v?.lat === 'number' && typeof v.lng === 'number') {
              geometry = { type: 'Point', coordinates: [v.lng, v.lat] };
              used = n;
              break;
            }
          }
        }
        const properties: Record<string, unknown> = {};
        for (const c of cols) {
          if (c.code === used) continue;
          if (c.kind === 'meta') properties[c.code] = metaValue(c, sub);
          else if (sub.data[c.code] !== undefined) properties[c.code] = sub.data[c.code];
        }
        const feature = JSON.stringify({ type: 'Feature', id: sub.id, geometry, properties });
        out.write(first ? feature : `,\n${feature}`);
        first = false;
      }
      await drained(out);
    },
    async end() {
      out.end('\n]}\n');
    },
  };
}

export function writerFor(format: ExportFormat, def: FormDefinition): TableWriter {
  return format === 'csv' ? csvWriter(def) : format === 'xlsx' ? xlsxWriter(def) : geojsonWriter(def);
}

// ───────────────────────────── reading ─────────────────────────────

/** Text of a CSV file: UTF-8 (BOM or not), else GB18030 (Excel's "CSV" on Chinese Windows). */
export function decodeCsv(bytes: Uint8Array): string {
  try {
    return stripBom(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** Rows of a CSV file as text cells (every record kept, so row numbers match the file's records). */
export function readCsv(bytes: Uint8Array): CellValue[][] {
  return parseCsv(decodeCsv(bytes), { relax_column_count: true, relax_quotes: true, skip_empty_lines: false, bom: true }) as string[][];
}

/** An exceljs cell value as a plain cell: formulas give their result, rich text its text, errors nothing. */
function plainCell(v: ExcelJS.CellValue): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v;
  const o = v as unknown as Record<string, unknown>;
  if ('result' in o) return plainCell(o.result as ExcelJS.CellValue);
  if (Array.isArray(o.richText)) return (o.richText as { text: string }[]).map((r) => r.text).join('');
  if (typeof o.text === 'string') return o.text;
  return null;
}

/** Rows of the first visible worksheet of an XLSX file. */
export async function readXlsx(bytes: Uint8Array): Promise<CellValue[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never);
  const ws = wb.worksheets.find((w) => w.state === 'visible') ?? wb.worksheets[0];
  if (!ws) return [];
  const rows: CellValue[][] = [];
  for (let r = 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const cells: CellValue[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(plainCell(row.getCell(c).value));
    rows.push(cells);
  }
  return rows;
}

export async function readSheet(format: ImportFormat, bytes: Uint8Array): Promise<CellValue[][]> {
  return format === 'csv' ? readCsv(bytes) : readXlsx(bytes);
}

/** Tell the format from the first bytes: XLSX is a zip (PK\x03\x04). */
export function sniffFormat(bytes: Uint8Array): ImportFormat {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04 ? 'xlsx' : 'csv';
}

// ───────────────────────────── templates and reports ─────────────────────────────

const TEMPLATE_ROWS = 1000;

/** Column letters: 1 → A, 27 → AA. */
function colLetter(n: number): string {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** "420999001001 青山社区": what the region drop-down shows; the importer reads the leading 12 digits. */
export function regionOption(r: Region, lang: 'zh' | 'en' = 'zh'): string {
  return `${r.code} ${r.name[lang]}`;
}

/**
 * The import template of a form. XLSX: sheet 1 (填报) has the label row and the code row, drop-down lists for single
 * choices, 是/否 and the regions the caller may file in (lists live on a hidden sheet, so they are not limited to 255
 * characters); sheet 2 (填表说明) explains every column. CSV: BOM, the label row and the code row.
 */
export async function buildTemplate(def: FormDefinition, regions: readonly Region[], format: ImportFormat, lang: 'zh' | 'en' = 'zh'): Promise<Uint8Array> {
  const cols = templateColumns(def);
  if (format === 'csv') {
    const text = BOM + stringifySync([cols.map((c) => headerLabel(c, lang)), cols.map((c) => c.code)], { record_delimiter: 'windows', quote_record_delimiter: true });
    return new TextEncoder().encode(text);
  }
  const zh = lang === 'zh';
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Risk Census';
  const ws = wb.addWorksheet(zh ? '填报' : 'Data', { views: [{ state: 'frozen', ySplit: 2 }] });
  const notes = wb.addWorksheet(zh ? '填表说明' : 'Notes');
  const lists = wb.addWorksheet(zh ? '选项' : 'Lists', { state: 'veryHidden' });

  ws.columns = cols.map((c) => ({ key: c.code, width: Math.min(40, Math.max(12, [...headerLabel(c, lang)].length * 2)) }));
  const head = ws.getRow(1);
  head.values = cols.map((c) => headerLabel(c, lang));
  head.font = { bold: true };
  const codeRow = ws.getRow(2);
  codeRow.values = cols.map((c) => c.code);
  codeRow.font = { color: { argb: 'FF6B7280' } };

  // Lists on the hidden sheet: one column per list.
  let listCol = 0;
  const addList = (title: string, values: string[]): string => {
    listCol++;
    const letter = colLetter(listCol);
    lists.getCell(`${letter}1`).value = title;
    values.forEach((v, i) => (lists.getCell(`${letter}${i + 2}`).value = v));
    return `'${lists.name}'!$${letter}$2:$${letter}$${Math.max(2, values.length + 1)}`;
  };
  const regionList = addList(META.region, regions.map((r) => regionOption(r, lang)));
  const bool = zh ? ['是', '否'] : ['Yes', 'No'];
  // exceljs supports range validations on a worksheet but does not declare them in its types.
  const validations = (ws as unknown as { dataValidations: { add(range: string, v: ExcelJS.DataValidation): void } }).dataValidations;
  cols.forEach((c, i) => {
    const letter = colLetter(i + 1);
    const range = `${letter}3:${letter}${TEMPLATE_ROWS + 2}`;
    const prompt = (title: string, text: string) => ({ showInputMessage: true, promptTitle: title.slice(0, 32), prompt: text.slice(0, 255) });
    const f = c.field;
    let formula: string | undefined;
    if (c.code === META.region) formula = regionList;
    else if (f?.type === 'select_one') formula = addList(f.name, f.choices.map((x) => x.label[lang]));
    else if (f?.type === 'boolean') formula = `"${bool.join(',')}"`;
    if (formula) {
      validations.add(range, {
        type: 'list',
        allowBlank: !c.required,
        formulae: [formula],
        showErrorMessage: true,
        errorStyle: 'stop',
        errorTitle: zh ? '请从列表中选择' : 'Choose from the list',
        error: zh ? '请从下拉列表中选择' : 'Please pick a value from the drop-down list',
        ...prompt(c.label[lang], columnFormat(c, lang)),
      });
    } else if (c.hint || f) {
      validations.add(range, { type: 'any', allowBlank: true, formulae: [], ...prompt(c.label[lang], c.hint?.[lang] ?? columnFormat(c, lang)) } as never);
    }
  });

  notes.columns = [
    { header: zh ? '字段代码' : 'Code', key: 'code', width: 24 },
    { header: zh ? '名称' : 'Label', key: 'label', width: 30 },
    { header: zh ? '必填' : 'Required', key: 'required', width: 8 },
    { header: zh ? '填写要求' : 'Format', key: 'format', width: 60 },
    { header: zh ? '说明' : 'Hint', key: 'hint', width: 60 },
  ];
  notes.getRow(1).font = { bold: true };
  for (const c of cols) {
    notes.addRow({ code: c.code, label: c.label[lang], required: c.required ? (zh ? '是' : 'yes') : '', format: columnFormat(c, lang), hint: c.hint?.[lang] ?? '' });
  }
  notes.addRow({});
  notes.addRow({
    code: zh ? '注意' : 'Note',
    label: zh
      ? '第1行为名称，第2行为字段代码，请勿修改前两行；从第3行起每行一条记录。照片和附件请导入后在系统中补充。'
      : 'Row 1 holds labels and row 2 the field codes: keep both. One record per row from row 3. Add photos and files in the app after importing.',
  });
  const buf = await wb.xlsx.writeBuffer();
  return new Uint8Array(buf as ArrayBuffer);
}

/** The import report as CSV (BOM, neutralised cells): one line per problem, with the column's label. */
export function reportCsv(errors: readonly (RowError & { outcome?: string })[], labelOf: (code: string | null) => Localized | undefined): Uint8Array {
  const lines: string[][] = [['row', 'column', 'column_label', 'code', 'message_zh', 'message_en']];
  for (const e of errors) {
    const label = labelOf(e.column);
    lines.push([String(e.row), e.column ?? '', label?.zh ?? '', e.code, e.message.zh, e.message.en]);
  }
  const text = stringifySync(lines, { bom: true, record_delimiter: 'windows', quote_record_delimiter: true, cast: { string: (v: string) => neutraliseCell(v) } });
  return new TextEncoder().encode(text);
}
