/**
 * `agentview watch` (the live stream as JSON lines), `agentview webhooks …`
 * and `agentview alerts …` over the HTTP API.
 */
import type { Command } from 'commander';
import { apiRequest, targetFrom, type ApiTarget } from '../http-client.js';

type Out = (line: string) => void;
const stdout: Out = (l) => process.stdout.write(`${l}\n`);

interface TargetOpts {
  url?: string;
  token?: string;
}

function withTarget(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL (default $AGENTVIEW_URL or http://127.0.0.1:$PORT)')
    .option('--token <token>', 'bearer token (default $AGENTVIEW_TOKEN or $AGENTVIEW_ADMIN_TOKEN)');
}

const acc = (a: string) => `/api/account/${encodeURIComponent(a)}`;

export interface WatchOptions {
  status?: string;
  agentIds?: string;
  skillIds?: string;
  groupIds?: string;
  connectionStates?: string;
}

/**
 * Follows an account's stream, printing one JSON line per message
 * (`{"event","id","data"}`); reconnects with Last-Event-ID until `signal` aborts.
 */
export async function watchStream(target: ApiTarget, account: string, o: WatchOptions, out: Out, signal?: AbortSignal): Promise<void> {
  const q = new URLSearchParams();
  if (o.status) q.set('status', o.status);
  if (o.agentIds) q.set('agentIds', o.agentIds);
  if (o.skillIds) q.set('skillIds', o.skillIds);
  if (o.groupIds) q.set('agentGroupIds', o.groupIds);
  if (o.connectionStates) q.set('connectionStates', o.connectionStates);
  const url = new URL(`${acc(account)}/agent-view/stream${q.size > 0 ? `?${q.toString()}` : ''}`, target.url);
  let lastId: string | undefined;
  let attempt = 0;
  while (!signal?.aborted) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (target.token) headers.authorization = `Bearer ${target.token}`;
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      const res = await fetch(url, { headers, ...(signal ? { signal } : {}) });
      if (res.status === 400 || res.status === 401 || res.status === 403 || res.status === 404) {
        throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      }
      if (!res.ok || !res.body) throw new RetryableError(`HTTP ${res.status}`);
      attempt = 0;
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          let id: string | undefined;
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (id !== undefined) lastId = id;
          if (data !== '') out(`{"event":${JSON.stringify(event)},"id":${JSON.stringify(id ?? null)},"data":${data}}`);
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      if (!(err instanceof RetryableError) && !(err instanceof TypeError)) throw err;
    }
    attempt++;
    await new Promise((r) => setTimeout(r, Math.min(15_000, 500 * 2 ** Math.min(attempt, 5))));
  }
}

class RetryableError extends Error {}

export function registerLive(program: Command): void {
  withTarget(
    program
      .command('watch')
      .description('follow an account live (SSE stream); prints one JSON line per message')
      .requiredOption('-a, --account <id>', 'account')
      .option('--status <list>', 'statuses, comma-separated (ONLINE,AWAY,BACK_SOON,OFFLINE)')
      .option('--agent-ids <list>', 'agent ids, comma-separated')
      .option('--skill-ids <list>', 'skill ids, comma-separated')
      .option('--group-ids <list>', 'group ids, comma-separated')
      .option('--connection-states <list>', 'CONNECTED, DISCONNECTED'),
  ).action(async (opts: TargetOpts & WatchOptions & { account: string }) => {
    const ctl = new AbortController();
    process.once('SIGINT', () => ctl.abort());
    await watchStream(targetFrom(opts), opts.account, opts, stdout, ctl.signal);
  });

  const webhooks = program.command('webhooks').description('webhooks of an account (admin)');
  withTarget(
    webhooks
      .command('add')
      .description('register a webhook; prints it with its secret (shown only now)')
      .requiredOption('-a, --account <id>', 'account')
      .requiredOption('--target <url>', 'URL to POST to (must be allowed by AGENTVIEW_WEBHOOK_ALLOW)')
      .option('--secret <secret>', 'HMAC key (16+ characters; generated when absent)')
      .option('--filter <json>', 'Agent Status filter body, e.g. {"status":["AWAY"]}')
      .option('--no-alerts', 'do not deliver alert events'),
  ).action(async (o: TargetOpts & { account: string; target: string; secret?: string; filter?: string; alerts: boolean }) => {
    const body = { url: o.target, ...(o.secret ? { secret: o.secret } : {}), ...(o.filter ? { filter: JSON.parse(o.filter) as unknown } : {}), alerts: o.alerts };
    stdout(JSON.stringify(await apiRequest(targetFrom(o), 'POST', `${acc(o.account)}/admin/webhooks`, body), null, 2));
  });
  withTarget(webhooks.command('list').description('list webhooks with their delivery state').requiredOption('-a, --account <id>', 'account')).action(
    async (o: TargetOpts & { account: string }) => {
      stdout(JSON.stringify(await apiRequest(targetFrom(o), 'GET', `${acc(o.account)}/admin/webhooks`), null, 2));
    },
  );
  withTarget(webhooks.command('delete').description('delete a webhook').requiredOption('-a, --account <id>', 'account').requiredOption('--id <id>', 'webhook id')).action(
    async (o: TargetOpts & { account: string; id: string }) => {
      await apiRequest(targetFrom(o), 'DELETE', `${acc(o.account)}/admin/webhooks/${encodeURIComponent(o.id)}`);
      stdout(`deleted ${o.id}`);
    },
  );

  const alerts = program.command('alerts').description('threshold alerts of an account');
  withTarget(alerts.command('list').description('alerts currently raised').requiredOption('-a, --account <id>', 'account')).action(
    async (o: TargetOpts & { account: string }) => {
      stdout(JSON.stringify(await apiRequest(targetFrom(o), 'GET', `${acc(o.account)}/agent-view/alerts`), null, 2));
    },
  );
  withTarget(
    alerts
      .command('add-rule')
      .description('add a rule, e.g. {"kind":"status-duration","status":"AWAY","reasonId":"2","minutes":30}')
      .requiredOption('-a, --account <id>', 'account')
      .requiredOption('--rule <json>', 'the rule as JSON'),
  ).action(async (o: TargetOpts & { account: string; rule: string }) => {
    stdout(JSON.stringify(await apiRequest(targetFrom(o), 'POST', `${acc(o.account)}/admin/alert-rules`, JSON.parse(o.rule) as unknown), null, 2));
  });
  withTarget(alerts.command('rules').description('list rules (admin)').requiredOption('-a, --account <id>', 'account')).action(
    async (o: TargetOpts & { account: string }) => {
      stdout(JSON.stringify(await apiRequest(targetFrom(o), 'GET', `${acc(o.account)}/admin/alert-rules`), null, 2));
    },
  );
  withTarget(
    alerts.command('delete-rule').description('delete a rule (its alerts are cleared)').requiredOption('-a, --account <id>', 'account').requiredOption('--id <id>', 'rule id'),
  ).action(async (o: TargetOpts & { account: string; id: string }) => {
    await apiRequest(targetFrom(o), 'DELETE', `${acc(o.account)}/admin/alert-rules/${encodeURIComponent(o.id)}`);
    stdout(`deleted ${o.id}`);
  });
}
