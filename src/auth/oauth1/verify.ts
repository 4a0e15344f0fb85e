/**
 * Verifies an OAuth 1.0a signed request (RFC 5849 section 3.2) against the
 * stored keys: one place for protocol parameters, required parameters,
 * timestamp window, key and token, signature (constant-time), single-use
 * nonce — in that order, so nonces are only recorded for genuine requests.
 */
import type { KeyRecord, NonceStore } from '../../ports/index.js';
import { safeEqual } from '../secrets.js';
import {
  baseStringUri,
  hmacSignature,
  OAuthFormatError,
  parseAuthorizationHeader,
  parseFormEncoded,
  signatureBaseString,
  SIGNATURE_METHODS,
  type Param,
  type SignatureMethod,
} from './signature.js';

/** What the verifier needs to know about a request. */
export interface OAuthRequest {
  method: string;
  /** The request target as sent: path and optional `?query`. */
  url: string;
  authorization?: string | undefined;
  /** Decoded parameters of an `application/x-www-form-urlencoded` body, if any. */
  form?: readonly Param[] | undefined;
}

export interface OAuthVerifierOptions {
  /** scheme://host[:port] the signatures are computed over. */
  publicUrl: string;
  findKey(appKey: string): Promise<KeyRecord | undefined>;
  nonces: NonceStore;
  now(): number;
  /** Accepted clock skew either way, ms (default 5 minutes). */
  windowMs?: number;
}

export type OAuthResult =
  | { outcome: 'absent' }
  | { outcome: 'valid'; key: KeyRecord }
  | { outcome: 'invalid'; reason: string };

export const DEFAULT_OAUTH_WINDOW_MS = 5 * 60_000;
const REQUIRED = ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce'];
const isProtocol = (n: string) => n.startsWith('oauth_');
const INVALID_CREDENTIALS = 'OAuth credentials are not valid (unknown key or token, or the signature does not match)';

export async function verifyOAuth(req: OAuthRequest, o: OAuthVerifierOptions): Promise<OAuthResult> {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  // Not an OAuth request at all: leave it to other authenticators (even with a query we could not parse).
  const oauthScheme = req.authorization !== undefined && /^\s*OAuth(\s|$)/i.test(req.authorization);
  if (!oauthScheme && !rawQuery.includes('oauth_') && !(req.form ?? []).some(([n]) => isProtocol(n))) return { outcome: 'absent' };
  let header: Param[] | undefined;
  let query: Param[];
  try {
    header = parseAuthorizationHeader(req.authorization);
    query = parseFormEncoded(rawQuery);
  } catch (e) {
    if (e instanceof OAuthFormatError) return { outcome: 'invalid', reason: e.message };
    throw e;
  }
  const form = req.form ?? [];
  const sources = [header ?? [], query, form];
  const withProtocol = sources.filter((s) => s.some(([n]) => isProtocol(n)));
  if (header === undefined && !withProtocol.some((s) => s.some(([n]) => n === 'oauth_signature' || n === 'oauth_consumer_key'))) {
    return { outcome: 'absent' };
  }
  if (withProtocol.length > 1) {
    return { outcome: 'invalid', reason: 'OAuth parameters must be in exactly one of: Authorization header, query string, form body' };
  }
  const protocol = new Map<string, string>();
  for (const [n, v] of withProtocol[0] ?? []) {
    if (!isProtocol(n)) continue;
    if (protocol.has(n)) return { outcome: 'invalid', reason: `OAuth parameter ${n} is repeated` };
    protocol.set(n, v);
  }
  const missing = REQUIRED.filter((n) => !protocol.get(n));
  if (missing.length > 0) return { outcome: 'invalid', reason: `OAuth parameters missing: ${missing.join(', ')}` };
  const version = protocol.get('oauth_version');
  if (version !== undefined && version !== '1.0') return { outcome: 'invalid', reason: 'oauth_version must be 1.0' };
  const method = protocol.get('oauth_signature_method')!;
  if (!(SIGNATURE_METHODS as readonly string[]).includes(method)) {
    return { outcome: 'invalid', reason: `oauth_signature_method must be one of ${SIGNATURE_METHODS.join(', ')}` };
  }
  const nonce = protocol.get('oauth_nonce')!;
  if (nonce.length > 256) return { outcome: 'invalid', reason: 'oauth_nonce is longer than 256 characters' };
  const tsText = protocol.get('oauth_timestamp')!;
  if (!/^[0-9]{1,12}$/.test(tsText)) return { outcome: 'invalid', reason: 'oauth_timestamp must be whole seconds since the epoch' };
  const tsMs = Number(tsText) * 1000;
  const windowMs = o.windowMs ?? DEFAULT_OAUTH_WINDOW_MS;
  if (Math.abs(o.now() - tsMs) > windowMs) {
    return { outcome: 'invalid', reason: `oauth_timestamp is more than ${windowMs / 1000} s away from the server's clock` };
  }

  const appKey = protocol.get('oauth_consumer_key')!;
  const token = protocol.get('oauth_token')!;
  const key = appKey.length <= 256 ? await o.findKey(appKey) : undefined;
  // Compute a signature even for unknown keys so both paths cost the same.
  const base = signatureBaseString(req.method, baseStringUri(o.publicUrl, path), sources.flat());
  const expected = hmacSignature(method as SignatureMethod, base, key?.appSecret ?? '', key?.tokenSecret ?? '');
  const tokenOk = safeEqual(token, key?.token ?? '');
  const signatureOk = safeEqual(protocol.get('oauth_signature')!, expected);
  if (!key || !tokenOk || !signatureOk) return { outcome: 'invalid', reason: INVALID_CREDENTIALS };

  // Remember the nonce a little past the window's end: the timestamp check rejects it after that.
  const fresh = await o.nonces.remember(`${appKey}\n${token}`, nonce, tsMs + windowMs + 1000);
  if (!fresh) return { outcome: 'invalid', reason: 'oauth_nonce was already used with this key' };
  return { outcome: 'valid', key };
}
