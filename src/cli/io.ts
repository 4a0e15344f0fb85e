/** Where CLI commands write and read, injectable for tests. */
export interface CliIo {
  out(text: string): void;
  readStdin(): Promise<string>;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Aligns rows into columns (first row is the header). */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** Parses `read,write` into a scope list, refusing unknown scopes. */
export function parseScopes(text: string): ('read' | 'write' | 'admin')[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = scopes.filter((s) => !['read', 'write', 'admin'].includes(s));
  if (bad.length > 0 || scopes.length === 0) throw new Error(`scopes must be a comma-separated list of read, write, admin (got ${JSON.stringify(text)})`);
  return scopes as ('read' | 'write' | 'admin')[];
}
