/**
 * The SSE ceiling: a bare `node:http` server. GET opens an event stream;
 * POST makes a "change": it writes one `upsert` message (the bytes agentview
 * sent, with a new seq) to every open stream, then acknowledges with
 * `{ lastSeq }`, the order agentview follows (apply, fan out, acknowledge).
 *
 * argv[2]: file with one agentview upsert `data` JSON. Prints `listening <port>`.
 */
import { createServer, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';

const sample = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { seq: number };
const streams = new Set<ServerResponse>();
let seq = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': live\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  req.resume();
  req.on('end', () => {
    seq++;
    const msg = `id: ${seq}\nevent: upsert\ndata: ${JSON.stringify({ ...sample, seq })}\n\n`;
    for (const s of streams) s.write(msg);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ accepted: 1, duplicates: 0, lastSeq: seq }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  for (const s of streams) s.end();
  server.close(() => process.exit(0));
});
