/**
 * CSV per RFC 4180 (CRLF line ends, fields quoted when they hold a comma,
 * quote or line break), with a guard against formula injection: a text cell
 * that a spreadsheet would run as a formula (starting with = + - @ tab or CR)
 * gets a leading apostrophe, unless it is a plain number such as `-1`.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?[0-9]+(\.[0-9]+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return String(value);
  let s = value;
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly (string | number | boolean | undefined | null)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/**
 * Whether the client asked for CSV: an explicit `format` wins; otherwise
 * `Accept` must list `text/csv` with a quality at least that of
 * `application/json`.
 */
export function wantsCsv(accept: string | undefined, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qp === undefined ? 1 : Number(qp.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type.trim() === 'text/csv') csv = Math.max(csv, q);
    else if (type.trim() === 'application/json') json = Math.max(json, q);
  }
  return csv > 0 && csv >= json;
}

/** CSV content type, naming the header line (RFC 4180 section 3). */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';
