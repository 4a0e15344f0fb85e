/**
 * The durable-write ceiling: raw better-sqlite3 (WAL, the service's
 * `synchronous`) inserting the same event bytes, one prepared INSERT per row,
 * in transactions of `batch` rows, for `durationS` seconds, in a fresh file.
 *
 * argv[2]: a file holding JSON { dir, synchronous, batch, durationS, events: string[] }
 * Prints one JSON line { rowsPerSec, rows, seconds }.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { readSpec } from './context.js';

const spec = readSpec<{ dir: string; synchronous: 'full' | 'normal'; batch: number; durationS: number; events: string[] }>(process.argv[2]!);
const db = new Database(join(spec.dir, `raw-${process.pid}-${Date.now()}.db`));
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${spec.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, body TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO events (seq, account, body) VALUES (?, ?, ?)');
let seq = 0;
const writeBatch = db.transaction((rows: string[]) => {
  for (const body of rows) insert.run(++seq, 'bench', body);
});
const batches: string[][] = [];
for (let i = 0; i + spec.batch <= spec.events.length; i += spec.batch) batches.push(spec.events.slice(i, i + spec.batch));
const t0 = performance.now();
const end = t0 + spec.durationS * 1000;
let b = 0;
while (performance.now() < end) {
  writeBatch(batches[b++ % batches.length]!);
}
const seconds = (performance.now() - t0) / 1000;
db.close();
process.stdout.write(JSON.stringify({ rowsPerSec: seq / seconds, rows: seq, seconds }) + '\n');
