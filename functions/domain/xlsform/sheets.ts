/**
 * The workbook as the XLSForm importer and exporter see it: named sheets of plain cells, no spreadsheet library. The
 * Node side (app/xlsform-io.ts) turns .xlsx bytes into these and back; the browser can build them from any reader.
 */
import type { Localized } from '../forms';
import type { RegionLevel } from '../regions';
import type { SectorId } from '../sectors';

export type Cell = string | number | boolean | null;

export interface Sheet {
  name: string;
  /** rows[0] is the header row; rows[i] is sheet row i + 1 (empty rows in between are kept as []). */
  rows: Cell[][];
  /**
   * Cells the reader could not turn into a value — a formula without a cached result, an error value such as #REF! —
   * read as null. The importer reports them with every other problem, and nothing else about those cells.
   */
  issues?: XlsformIssue[];
}

export interface XlsformIssue {
  /** Sheet name as written in the workbook; '' when the issue is about the workbook as a whole. */
  sheet: string;
  /** 1-based sheet row (1 = the header row). */
  row?: number;
  /** The column's header as written in the workbook (or the header the importer looked for). */
  column?: string;
  message: Localized;
}

/** What the caller (the upload's query string) supplies when the settings sheet does not say it. */
export interface XlsformDefaults {
  sector?: SectorId;
  part?: string;
  regionLevel?: RegionLevel;
  /** Wins over the settings sheet's form_id. */
  formId?: string;
}

/** Size limits of an XLSForm: the bytes of the workbook, and non-empty data rows (the header row not counted). */
export const XLSFORM_LIMITS = {
  bytes: 10 * 1024 * 1024,
  /** The xlsx entries unpacked, all together: a 10 MB zip can hold gigabytes of XML. */
  unpackedBytes: 32 * 1024 * 1024,
  surveyRows: 5_000,
  choiceRows: 20_000,
} as const;

export const isEmptyCell = (c: Cell | undefined): boolean => c === null || c === undefined || (typeof c === 'string' && c.trim() === '');

/** A cell as trimmed text ('' for an empty cell). */
export function cellText(c: Cell | undefined): string {
  if (c === null || c === undefined) return '';
  return typeof c === 'string' ? c.trim() : String(c);
}

/** Column letters: 0 → A, 26 → AA. */
export function columnLetter(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

export const issue = (sheet: string, row: number | undefined, column: string | undefined, zh: string, en: string): XlsformIssue => ({
  sheet,
  ...(row !== undefined ? { row } : {}),
  ...(column !== undefined ? { column } : {}),
  message: { zh, en },
});
