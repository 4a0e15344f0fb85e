/**
 * OAuth 1.0a signatures (RFC 5849 section 3.4): parameter collection from
 * the Authorization header, the query and form bodies, the signature base
 * string and HMAC-SHA1 / HMAC-SHA256. Pure functions, no I/O.
 */
import { createHmac } from 'node:crypto';

export type Param = [name: string, value: string];

export const SIGNATURE_METHODS = ['HMAC-SHA1', 'HMAC-SHA256'] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** A request part that cannot be parsed as OAuth parameters. */
export class OAuthFormatError extends Error {
  override name = 'OAuthFormatError';
}

/** RFC 3986 percent-encoding of everything but unreserved characters (RFC 5849 3.6). */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? s.replace(/\+/g, ' ') : s);
  } catch {
    throw new OAuthFormatError('malformed percent-encoding');
  }
}

/** Parses `a=1&b=x+y` (query strings and form bodies) into decoded pairs, keeping order and repeats. */
export function parseFormEncoded(s: string): Param[] {
  if (s === '') return [];
  const out: Param[] = [];
  for (const part of s.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([decode(name, true), decode(value, true)]);
  }
  return out;
}

const AUTH_PARAM = /^\s*([A-Za-z0-9_.~-]+)\s*=\s*"([^"]*)"\s*(?:,|$)/;

/**
 * Parses `Authorization: OAuth realm="x", oauth_consumer_key="…", …`.
 * Returns undefined when the header is not of the OAuth scheme; the `realm`
 * parameter is dropped (it is not signed).
 */
export function parseAuthorizationHeader(header: string | undefined): Param[] | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*OAuth(?:\s+|$)/i.exec(header);
  if (!m) return undefined;
  let rest = header.slice(m[0].length);
  const out: Param[] = [];
  while (rest.trim() !== '') {
    const p = AUTH_PARAM.exec(rest);
    if (!p) throw new OAuthFormatError('malformed OAuth Authorization header');
    const name = p[1]!;
    if (name !== 'realm') out.push([decode(name, false), decode(p[2]!, false)]);
    rest = rest.slice(p[0].length);
  }
  return out;
}

/**
 * The signature base string: METHOD & encoded base URI & encoded normalized
 * parameters (sorted by encoded name, then encoded value; oauth_signature excluded).
 */
export function signatureBaseString(method: string, baseUri: string, params: readonly Param[]): string {
  const encoded = params
    .filter(([n]) => n !== 'oauth_signature')
    .map(([n, v]) => [percentEncode(n), percentEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode(baseUri)}&${percentEncode(encoded)}`;
}

/**
 * The base string URI (RFC 5849 3.4.1.2) of a request path under a public
 * URL: lowercase scheme and host, default ports dropped, no query.
 */
export function baseStringUri(publicUrl: string, path: string): string {
  const u = new URL(publicUrl);
  return `${u.protocol.toLowerCase()}//${u.host.toLowerCase()}${path}`;
}

/** The base64 HMAC of a base string with `encode(consumerSecret)&encode(tokenSecret)`. */
export function hmacSignature(method: SignatureMethod, base: string, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key).update(base).digest('base64');
}
