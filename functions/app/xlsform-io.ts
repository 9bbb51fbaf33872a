/**
 * XLSForm workbooks as bytes ↔ the plain sheets of domain/xlsform (exceljs 4.4.0).
 *
 * Reading takes real files as they come: a formula gives its cached result (none → an issue on that cell), rich text
 * its runs joined, a hyperlink its text, a date `YYYY-MM-DD`, a merged range its value once. Only rows and cells that
 * exist are visited — a sheet whose dimension claims 1,048,576 rows costs what its filled rows cost — and each sheet
 * ends at its last non-empty row and each row at its last non-empty cell. Before exceljs unpacks anything the zip's
 * central directory is read, so a small file that unpacks to gigabytes is refused without being unpacked.
 */
import ExcelJS from 'exceljs';
import { SHEETS } from '#domain/xlsform/format';
import { XLSFORM_LIMITS, columnLetter, issue, isEmptyCell, type Cell, type Sheet, type XlsformIssue } from '#domain/xlsform/sheets';

export type WorkbookRead = { sheets: Sheet[] } | { errors: XlsformIssue[] };

const MB = 1024 * 1024;
const whole = (zh: string, en: string): WorkbookRead => ({ errors: [issue('', undefined, undefined, zh, en)] });

/** Total unpacked size of a zip's entries from its central directory; null when it is not a zip we can read. */
export function unpackedSize(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: 22 bytes plus a comment of up to 65,535 bytes, at the end of the file.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) return null;
    const size = view.getUint32(p + 24, true);
    if (size === 0xffffffff) return Infinity; // zip64: more than 4 GB in one entry
    total += size;
    p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return total;
}

/** A date cell as text: `YYYY-MM-DD` at midnight, else `YYYY-MM-DDTHH:MM:SS` (exceljs reads dates as UTC). */
function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19);
}

/** One exceljs value as a plain cell, or a problem (in words) when it has no usable value. */
function plain(v: ExcelJS.CellValue): { value: Cell } | { problem: { zh: string; en: string } } {
  if (v === null || v === undefined) return { value: null };
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { value: v };
  if (v instanceof Date) return { value: dateText(v) };
  const o = v as unknown as Record<string, unknown>;
  if ('formula' in o || 'sharedFormula' in o) {
    const formula = String(o.formula ?? o.sharedFormula ?? '');
    if (o.result === undefined || o.result === null) {
      return { problem: { zh: `公式 =${formula} 没有保存计算结果:请在 Excel 中重新计算并保存,或改为直接填写值`, en: `The formula =${formula} has no saved result: recalculate and save in Excel, or type the value instead` } };
    }
    const r = plain(o.result as ExcelJS.CellValue);
    if ('problem' in r) return { problem: { zh: `公式 =${formula} 的结果有误:${r.problem.zh}`, en: `The formula =${formula} gives an error: ${r.problem.en}` } };
    return r;
  }
  if ('error' in o) return { problem: { zh: `单元格为错误值 ${String(o.error)}`, en: `The cell holds the error value ${String(o.error)}` } };
  if (Array.isArray(o.richText)) return { value: (o.richText as { text?: string }[]).map((run) => run.text ?? '').join('') };
  if ('hyperlink' in o || 'text' in o) return plain((o.text ?? o.hyperlink) as ExcelJS.CellValue);
  return { value: null };
}

/** The cells of one worksheet, its issues, and how many non-empty data rows it has. */
function readSheet(ws: ExcelJS.Worksheet): Sheet {
  const rows: Cell[][] = [];
  const issues: XlsformIssue[] = [];
  const problems: { row: number; col: number; message: { zh: string; en: string } }[] = [];
  // eachRow / eachCell visit only rows and cells present in the file (exceljs keeps them sparse).
  ws.eachRow({ includeEmpty: false }, (row, r) => {
    const cells: Cell[] = [];
    row.eachCell({ includeEmpty: false }, (cell, c) => {
      // The cells of a merged range other than its top-left one repeat its value: read it once.
      if (cell.type === ExcelJS.ValueType.Merge) return;
      const p = plain(cell.value);
      if ('problem' in p) problems.push({ row: r, col: c - 1, message: p.problem });
      else if (!isEmptyCell(p.value)) cells[c - 1] = p.value;
    });
    for (let i = 0; i < cells.length; i++) cells[i] ??= null;
    if (cells.length) rows[r - 1] = cells;
  });
  for (let i = 0; i < rows.length; i++) rows[i] ??= [];
  const header = rows[0] ?? [];
  for (const p of problems) {
    const h = header[p.col];
    const address = `${columnLetter(p.col)}${p.row}`;
    const column = p.row > 1 && !isEmptyCell(h) ? String(h).trim() : address;
    issues.push(issue(ws.name, p.row, column, `${address}:${p.message.zh}`, `${address}: ${p.message.en}`));
  }
  return { name: ws.name, rows, ...(issues.length ? { issues } : {}) };
}

/**
 * An .xlsx workbook as sheets. Refused as a whole (`errors`): anything that is not an xlsx file, more than 10 MB,
 * more than 32 MB unpacked, more than 5,000 survey rows or 20,000 choice rows. Unreadable cells are `issues` of their
 * sheet, for the importer to report with everything else.
 */
export async function readWorkbook(bytes: Uint8Array): Promise<WorkbookRead> {
  if (bytes.length > XLSFORM_LIMITS.bytes) {
    return whole(`文件过大(${(bytes.length / MB).toFixed(1)} MB),XLSForm 最大 ${XLSFORM_LIMITS.bytes / MB} MB`, `The file is ${(bytes.length / MB).toFixed(1)} MB; an XLSForm may be at most ${XLSFORM_LIMITS.bytes / MB} MB`);
  }
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    return whole('这是旧版 Excel(.xls)文件:请在 Excel 中另存为 .xlsx 再上传', 'This is an old Excel (.xls) file: save it as .xlsx in Excel and upload that');
  }
  if (!(bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)) {
    return whole('不是 .xlsx 工作簿:请上传 Excel 的 .xlsx 文件', 'This is not an .xlsx workbook: upload an Excel .xlsx file');
  }
  const unpacked = unpackedSize(bytes);
  if (unpacked === null) return whole('文件已损坏,无法作为 .xlsx 读取', 'The file is damaged and cannot be read as .xlsx');
  if (unpacked > XLSFORM_LIMITS.unpackedBytes) {
    return whole(
      `工作簿解压后超过 ${XLSFORM_LIMITS.unpackedBytes / MB} MB:请删除多余的空行、空列及其格式后再上传`,
      `The workbook unpacks to more than ${XLSFORM_LIMITS.unpackedBytes / MB} MB: delete unused (formatted) rows and columns and upload again`,
    );
  }
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as never);
  } catch {
    return whole('文件无法作为 .xlsx 工作簿读取', 'The file cannot be read as an .xlsx workbook');
  }
  if (!wb.worksheets.length) return whole('工作簿中没有工作表', 'The workbook has no sheets');
  const sheets = wb.worksheets.map(readSheet);
  const errors: XlsformIssue[] = [];
  const limits: [string, number][] = [
    [SHEETS.survey, XLSFORM_LIMITS.surveyRows],
    [SHEETS.choices, XLSFORM_LIMITS.choiceRows],
  ];
  for (const [name, max] of limits) {
    const s = sheets.find((x) => x.name.trim().toLowerCase() === name);
    const n = s ? s.rows.slice(1).filter((r) => r.some((c) => !isEmptyCell(c))).length : 0;
    if (s && n > max) errors.push(issue(s.name, undefined, undefined, `${s.name} 表有 ${n} 行,最多 ${max} 行`, `The ${s.name} sheet has ${n} rows; at most ${max} are accepted`));
  }
  return errors.length ? { errors } : { sheets };
}

/** Sheets as an .xlsx workbook: bold, frozen header row, columns sized to their headers. */
export async function writeWorkbook(sheets: readonly Sheet[]): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Risk Census';
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    for (const row of s.rows) ws.addRow(row.map((c) => (c === null ? undefined : c)));
    ws.getRow(1).font = { bold: true };
    (s.rows[0] ?? []).forEach((h, i) => {
      ws.getColumn(i + 1).width = Math.min(40, Math.max(10, String(h ?? '').length + 2));
    });
  }
  return new Uint8Array(await wb.xlsx.writeBuffer());
}
