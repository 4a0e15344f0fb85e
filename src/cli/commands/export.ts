/**
 * `agentview export`: streams status history (or time in status) of a range
 * to a CSV file, with a progress bar. Ranges longer than the API's 31 days
 * are exported window by window into one file (an interval that crosses a
 * window boundary then appears as two rows, split at the boundary).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { HttpError, targetFrom, type ApiTarget } from '../http-client.js';

const MAX_WINDOW_MS = 31 * 86_400_000;

export interface ExportOptions {
  target: ApiTarget;
  account: string;
  from: number;
  to: number;
  kind: 'history' | 'time-in-status';
  groupBy?: 'agent' | 'group' | 'skill';
  agentIds?: string;
  agentGroupIds?: string;
  skillIds?: string;
  out: string;
}

/** Where progress goes (a terminal bar in the CLI, nothing in tests). */
export interface Progress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

const silent: Progress = { start: () => undefined, update: () => undefined, stop: () => undefined };

/** Parses a time given as epoch ms or as an ISO 8601 date or date-time (UTC unless it says otherwise). */
export function parseTime(value: string, name: string): number {
  const v = value.trim();
  if (/^[0-9]{1,16}$/.test(v)) return Number(v);
  const ms = Date.parse(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(ms)) throw new Error(`--${name} ${JSON.stringify(value)} is neither epoch milliseconds nor an ISO 8601 date`);
  return ms;
}

function query(o: ExportOptions, from: number, to: number, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams({ from: String(from), to: String(to), ...extra });
  if (o.agentIds) p.set('agentIds', o.agentIds);
  if (o.agentGroupIds) p.set('agentGroupIds', o.agentGroupIds);
  if (o.skillIds) p.set('skillIds', o.skillIds);
  if (o.kind === 'time-in-status' && o.groupBy) p.set('groupBy', o.groupBy);
  return `/api/account/${encodeURIComponent(o.account)}/agent-view/${o.kind}?${p.toString()}`;
}

async function get(target: ApiTarget, path: string, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const res = await fetch(new URL(path, target.url), { headers });
  if (!res.ok) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    throw new HttpError(res.status, body);
  }
  return res;
}

function write(out: WriteStream, text: string): Promise<void> {
  if (out.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    out.once('drain', resolve);
    out.once('error', reject);
  });
}

/** Exports the range to `o.out`; returns how many data rows were written. */
export async function exportRange(o: ExportOptions, progress: Progress = silent): Promise<number> {
  if (o.from > o.to) throw new Error('--from is after --to');
  if (o.kind === 'time-in-status' && o.to - o.from > MAX_WINDOW_MS) {
    throw new Error('time in status covers at most 31 days per export (periods would be cut at window edges)');
  }
  const windows: [number, number][] = [];
  for (let f = o.from; f < o.to || windows.length === 0; f += MAX_WINDOW_MS) windows.push([f, Math.min(o.to, f + MAX_WINDOW_MS)]);

  let total = 0;
  if (o.kind === 'history') {
    for (const [f, t] of windows) {
      const res = await get(o.target, query(o, f, t, { limit: '1' }), 'application/json');
      total += ((await res.json()) as { _metadata: { count: number } })._metadata.count;
    }
  }
  const out = createWriteStream(o.out);
  const closed = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  let lines = 0; // records written, the header line included
  let quoted = false;
  // Counts record ends; a line break inside a quoted cell is part of the cell.
  const countRecords = (text: string) => {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) quoted = !quoted;
      else if (c === 10 && !quoted) n++;
    }
    return n;
  };
  progress.start(total);
  try {
    for (let w = 0; w < windows.length; w++) {
      const [f, t] = windows[w]!;
      const res = await get(o.target, query(o, f, t), 'text/csv');
      const decoder = new TextDecoder();
      // Every window starts with the header line; the file keeps only the first.
      let skipHeader = w > 0;
      let pending = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        let text = pending + decoder.decode(chunk, { stream: true });
        pending = '';
        if (skipHeader) {
          const eol = text.indexOf('\r\n');
          if (eol < 0) {
            pending = text;
            continue;
          }
          text = text.slice(eol + 2);
          skipHeader = false;
        }
        lines += countRecords(text);
        await write(out, text);
        progress.update(Math.max(0, lines - 1));
      }
      const rest = pending + decoder.decode();
      if (rest !== '' && !skipHeader) await write(out, rest);
    }
  } finally {
    out.end();
    progress.stop();
  }
  await closed;
  return Math.max(0, lines - 1);
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export status history or time in status of a range to a CSV file')
    .requiredOption('-a, --account <id>', 'account')
    .requiredOption('--from <time>', 'start: epoch ms or ISO date (2024-03-01) or date-time')
    .option('--to <time>', 'end (exclusive), default now')
    .option('-k, --kind <kind>', 'history | time-in-status', 'history')
    .option('--group-by <key>', 'time-in-status rows per agent | group | skill', 'agent')
    .option('--agents <ids>', 'agent ids, comma-separated')
    .option('--groups <ids>', 'group ids, comma-separated')
    .option('--skills <ids>', 'skill ids, comma-separated')
    .requiredOption('-o, --out <file>', 'CSV file to write')
    .option('--url <url>', 'server URL (default $AGENTVIEW_URL or http://127.0.0.1:$PORT)')
    .option('--token <token>', 'bearer token with read scope (default $AGENTVIEW_TOKEN or $AGENTVIEW_ADMIN_TOKEN)')
    .action(
      async (opts: {
        account: string;
        from: string;
        to?: string;
        kind: string;
        groupBy: string;
        agents?: string;
        groups?: string;
        skills?: string;
        out: string;
        url?: string;
        token?: string;
      }) => {
        if (opts.kind !== 'history' && opts.kind !== 'time-in-status') throw new Error('--kind must be history or time-in-status');
        if (!['agent', 'group', 'skill'].includes(opts.groupBy)) throw new Error('--group-by must be agent, group or skill');
        const bar = new cliProgress.SingleBar(
          { format: 'exporting |{bar}| {percentage}% | {value}/{total} rows', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        const rows = await exportRange(
          {
            target: targetFrom(opts),
            account: opts.account,
            from: parseTime(opts.from, 'from'),
            to: opts.to === undefined ? Date.now() : parseTime(opts.to, 'to'),
            kind: opts.kind,
            groupBy: opts.groupBy as 'agent' | 'group' | 'skill',
            ...(opts.agents ? { agentIds: opts.agents } : {}),
            ...(opts.groups ? { agentGroupIds: opts.groups } : {}),
            ...(opts.skills ? { skillIds: opts.skills } : {}),
            out: opts.out,
          },
          {
            start: (total) => bar.start(total, 0),
            update: (done) => bar.update(done),
            stop: () => bar.stop(),
          },
        );
        process.stderr.write(`wrote ${rows} rows to ${opts.out}\n`);
      },
    );
}
