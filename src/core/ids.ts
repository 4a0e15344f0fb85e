/**
 * Identifier helpers shared by the engine and the API.
 *
 * Ids travel as strings; numbers are accepted at the edge and normalised here.
 */

const NUMERIC = /^-?(0|[1-9][0-9]*)$/;

/** True when `id` is a canonical decimal integer string ("42", "-1"), of any length. */
export function isNumericId(id: string): boolean {
  return NUMERIC.test(id);
}

/**
 * Exact order of two canonical integer strings, whatever their length (ids
 * longer than 15 digits lose precision as numbers). "-0" sorts just before "0".
 */
function compareIntegers(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45; // '-'
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  // Same sign: more digits means larger magnitude; equal lengths compare as text.
  const c = a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  return an ? -c : c;
}

/**
 * Total order on ids: numeric ids first, compared as integers (exactly), then
 * all others compared by UTF-16 code units. This is the tie-breaker of every
 * sort, so it must never call two different ids equal.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return compareIntegers(a, b);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : 1;
}

/** Normalises an id received as a number or string into its string form. */
export function normalizeId(id: string | number): string {
  return typeof id === 'number' ? String(id) : id;
}
