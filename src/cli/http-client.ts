/** Small JSON-over-HTTP client shared by CLI commands (server URL + bearer token). */
export interface ApiTarget {
  url: string;
  token: string | undefined;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const b = body as { code?: string; message?: string } | undefined;
    super(`HTTP ${status}${b?.code ? ` ${b.code}` : ''}${b?.message ? `: ${b.message}` : ''}`);
  }
}

export async function apiRequest<T>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, target.url), {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (!res.ok) throw new HttpError(res.status, parsed);
  return parsed as T;
}

/** Common options: --url and --token, defaulting to the environment. */
export function targetFrom(opts: { url?: string; token?: string }): ApiTarget {
  return {
    url: opts.url ?? process.env.AGENTVIEW_URL ?? `http://127.0.0.1:${process.env.PORT ?? '8080'}`,
    token: opts.token ?? process.env.AGENTVIEW_TOKEN ?? process.env.AGENTVIEW_ADMIN_TOKEN,
  };
}
