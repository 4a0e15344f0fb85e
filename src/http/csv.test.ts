import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, wantsCsv } from './csv.js';

describe('csv', () => {
  it('quotes per RFC 4180 and ends lines with CRLF', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\r\nlines', 3, undefined, null, true])).toBe('a,"b,c","say ""hi""","two\r\nlines",3,,,true\r\n');
  });

  it('defuses cells a spreadsheet would run as formulas, but not plain numbers', () => {
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('+33 1 23')).toBe("'+33 1 23");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('-x')).toBe("'-x");
    expect(csvCell('\tcmd')).toBe("'\tcmd");
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell('-1')).toBe('-1');
    expect(csvCell('+1.5')).toBe('+1.5');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('negotiates CSV from Accept or format', () => {
    expect(wantsCsv(undefined, undefined)).toBe(false);
    expect(wantsCsv('*/*', undefined)).toBe(false);
    expect(wantsCsv('application/json', undefined)).toBe(false);
    expect(wantsCsv('text/csv', undefined)).toBe(true);
    expect(wantsCsv('Text/CSV; charset=utf-8', undefined)).toBe(true);
    expect(wantsCsv('application/json, text/csv;q=0.5', undefined)).toBe(false);
    expect(wantsCsv('text/csv;q=0.8, application/json;q=0.2', undefined)).toBe(true);
    expect(wantsCsv('text/csv;q=0', undefined)).toBe(false);
    expect(wantsCsv('text/csv', 'json')).toBe(false);
    expect(wantsCsv(undefined, 'csv')).toBe(true);
  });
});
