/**
 * Wire format of one stream message: the ingest batches of one account that
 * were grouped into it, as `{"b":[[event,...],...]}` in UTF-8 JSON. A message
 * that would not fit the server's `max_payload` is deflated (header
 * `Agentview-Encoding: deflate`); JSON of events shrinks 5–10×, so a full
 * 1 MiB request always fits once compressed.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { IngestEvent } from '../../core/index.js';
import { isBatchList } from './log-state.js';

export const FORMAT_HEADER = 'Agentview-Format';
export const ENCODING_HEADER = 'Agentview-Encoding';
export const FORMAT_VERSION = '1';
/** The publisher's de-duplication window in ms (see LogState). */
export const WINDOW_HEADER = 'Agentview-Dedup-Window-Ms';

/** The window a message carries, when it is a positive integer. */
export function parseWindow(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The message JSON for batches whose event arrays are already serialised (`JSON.stringify(events)`). */
export function messageJson(serialisedBatches: readonly string[]): string {
  return `{"b":[${serialisedBatches.join(',')}]}`;
}

export interface EncodedPayload {
  data: Uint8Array;
  deflated: boolean;
}

/** UTF-8 bytes of a payload, deflated when larger than `limit`; undefined when even that does not fit. */
export function toPayload(json: string, limit: number): EncodedPayload | undefined {
  const raw = encoder.encode(json);
  if (raw.byteLength <= limit) return { data: raw, deflated: false };
  const packed = deflateRawSync(raw);
  if (packed.byteLength <= limit) return { data: packed, deflated: true };
  return undefined;
}

/** Decodes a message body; undefined when it is not a valid agentview message. */
export function decodeBatches(data: Uint8Array, deflated: boolean): IngestEvent[][] | undefined {
  try {
    const text = decoder.decode(deflated ? inflateRawSync(data) : data);
    const parsed = JSON.parse(text) as { b?: unknown };
    return isBatchList(parsed.b) ? parsed.b : undefined;
  } catch {
    return undefined;
  }
}

/** UTF-8 length of a string without encoding it (to group batches up to a size). */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
