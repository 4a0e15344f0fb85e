/**
 * The HTTP ceiling: a bare `node:http` server answering every request with
 * the same bytes agentview answered, after draining the request body.
 *
 * argv: <string|buffer> <file with the response bytes>
 * Prints `listening <port>`.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const mode = process.argv[2];
const bytes = readFileSync(process.argv[3]!);
const asString = bytes.toString('utf8');

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    if (mode === 'buffer') res.end(bytes);
    else res.end(asString);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
