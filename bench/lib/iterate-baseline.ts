/**
 * The recovery baseline: merely iterating every row of the event log file
 * (`.raw().iterate()`), in a fresh process. argv[2]: the SQLite file.
 * Prints one JSON line { rows, ms }.
 */
import Database from 'better-sqlite3';

const db = new Database(process.argv[2], { readonly: true });
const t0 = performance.now();
let rows = 0;
for (const _row of db.prepare('SELECT pos, account, body FROM events ORDER BY pos').raw().iterate()) rows++;
const ms = performance.now() - t0;
db.close();
process.stdout.write(JSON.stringify({ rows, ms }) + '\n');
