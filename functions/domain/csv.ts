/**
 * CSV cells as the census office's spreadsheets see them (API.md "Exports"): UTF-8 with a byte-order mark so Excel reads
 * Chinese correctly, RFC 4180 quoting, and no cell that a spreadsheet would run as a formula.
 *
 * Formula injection (OWASP "CSV injection"): a cell that would start with `=`, `+`, `-`, `@`, tab or carriage return is
 * written with a leading apostrophe, which spreadsheets show as text. That includes negative numbers (`-3` → `'-3`): the
 * API promises the rule for every cell, and our importer undoes it (`restoreCell`), so a round trip loses nothing except
 * a text that itself began with an apostrophe followed by one of those characters (it comes back without the apostrophe).
 */

/** The UTF-8 byte-order mark, as the first character of every CSV we write. */
export const BOM = '\uFEFF';

/** The API's characters, plus their full-width forms (＝＋－＠), which some spreadsheets normalise to ASCII. */
const DANGEROUS_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const NEUTRALISED = /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** The cell as written: prefixed with `'` when it would otherwise start with = + - @ tab or CR (or ＝＋－＠). */
export function neutraliseCell(value: string): string {
  return DANGEROUS_START.test(value) ? `'${value}` : value;
}

/** Undo `neutraliseCell` on a cell read back from a file. */
export function restoreCell(value: string): string {
  return NEUTRALISED.test(value) ? value.slice(1) : value;
}

/** RFC 4180: a field holding a comma, a double quote, CR or LF is enclosed in double quotes, inner quotes doubled. */
export function quoteField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record (neutralised and quoted), terminated by CRLF as RFC 4180 says. */
export function csvRecord(cells: readonly string[]): string {
  return `${cells.map((c) => quoteField(neutraliseCell(c))).join(',')}\r\n`;
}

/** Strip a leading byte-order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
