import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './index.js';

describe('docs/errors.md', () => {
  it('lists exactly the codes and statuses of ERROR_CODES', () => {
    const md = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...md.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const expected = Object.entries(ERROR_CODES).map(([k, v]) => [k, v.status]);
    expect(rows).toEqual(expected);
  });
});
