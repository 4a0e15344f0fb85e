/**
 * Identifier helpers shared by the engine and the API.
 *
 * Ids travel as strings; numbers are accepted at the edge and normalised here.
 */

const NUMERIC = /^-?(0|[1-9][0-9]*)$/;

/** True when `id` is a canonical decimal integer string ("42", "-1"). */
export function isNumericId(id: string): boolean {
  return id.length <= 16 && NUMERIC.test(id);
}

/**
 * Total order on ids: numeric ids first, compared as numbers, then all others
 * compared by UTF-16 code units. This is the tie-breaker of every sort.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const an = isNumericId(a);
  const bn = isNumericId(b);
  if (an && bn) return Number(a) - Number(b);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : 1;
}

/** Normalises an id received as a number or string into its string form. */
export function normalizeId(id: string | number): string {
  return typeof id === 'number' ? String(id) : id;
}
