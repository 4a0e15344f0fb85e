/**
 * Signs requests with the independent `oauth-1.0a` npm library (not the
 * server's own signer), the way a LivePerson client would.
 */
import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';

export interface Credentials {
  appKey: string;
  appSecret: string;
  token: string;
  tokenSecret: string;
}

export interface SignOptions {
  method: string;
  /** The public URL the signature is computed over (scheme://host + path + ?query). */
  signedUrl: string;
  /** Where the request is actually sent. */
  sendTo: string;
  creds: Credentials;
  /** Where the protocol parameters travel. */
  where?: 'header' | 'query' | 'form';
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256';
  /** JSON body (header and query placements only). */
  json?: unknown;
  /** Extra form fields (form placement). */
  form?: Record<string, string>;
  nonce?: string;
  /** Seconds since the epoch. */
  timestamp?: number;
  headers?: Record<string, string>;
}

export function client(creds: Credentials, signatureMethod: 'HMAC-SHA1' | 'HMAC-SHA256' = 'HMAC-SHA1'): OAuth {
  return new OAuth({
    consumer: { key: creds.appKey, secret: creds.appSecret },
    signature_method: signatureMethod,
    hash_function: (base, key) => createHmac(signatureMethod === 'HMAC-SHA1' ? 'sha1' : 'sha256', key).update(base).digest('base64'),
  });
}

/** The signed request as fetch arguments, plus the oauth parameters that were sent. */
export function signRequest(o: SignOptions): { url: string; init: RequestInit; oauth: OAuth.Authorization } {
  const c = client(o.creds, o.signatureMethod);
  if (o.nonce !== undefined) c.getNonce = () => o.nonce!;
  if (o.timestamp !== undefined) c.getTimeStamp = () => o.timestamp!;
  const where = o.where ?? 'header';
  const data = where === 'form' ? (o.form ?? {}) : undefined;
  const signed = c.authorize({ url: o.signedUrl, method: o.method, ...(data ? { data } : {}) }, { key: o.creds.token, secret: o.creds.tokenSecret });
  // authorize() also returns the request's own parameters; only the oauth_* ones are to be added.
  const auth = Object.fromEntries(Object.entries(signed).filter(([k]) => k.startsWith('oauth_'))) as unknown as OAuth.Authorization;
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  let url = o.sendTo;
  let body: string | undefined;
  if (where === 'header') {
    headers.authorization = c.toHeader(auth).Authorization;
  } else if (where === 'query') {
    const qs = new URLSearchParams(Object.entries(auth).map(([k, v]): [string, string] => [k, String(v)])).toString();
    url += (url.includes('?') ? '&' : '?') + qs;
  }
  if (where === 'form') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams({ ...(o.form ?? {}), ...Object.fromEntries(Object.entries(auth).map(([k, v]) => [k, String(v)])) }).toString();
  } else if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  }
  return { url, init: { method: o.method, headers, ...(body !== undefined ? { body } : {}) }, oauth: auth };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
type Json = any;

export async function signedFetch(o: SignOptions): Promise<{ status: number; body: Json; headers: Headers; oauth: OAuth.Authorization }> {
  const { url, init, oauth } = signRequest(o);
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body, headers: res.headers, oauth };
}
