import { isUtf8 } from 'node:buffer';
import type { BusMessage } from './types.ts';
import { rawBytes, type Undecodable } from './undecodable.ts';

/**
 * Reads a stream entry as `publish` writes it: `k` (key), `v` (value) and, when there are
 * headers, `h` (JSON of name → string). Anything else on the stream was written there by hand
 * (XADD) or by another program; it comes back as Undecodable with the reason, never as an
 * exception that would leave it pending for good. Other fields are ignored, as before.
 */
export function decodeEntry(topic: string, id: string, fields: Buffer[]): BusMessage | Undecodable {
  let k: Buffer | undefined;
  let v: Buffer | undefined;
  let h: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === 'k') k = fields[i + 1]!;
    else if (name === 'v') v = fields[i + 1]!;
    else if (name === 'h') h = fields[i + 1]!;
  }
  const reason = v === undefined ? 'entry has no v (value) field'
    : k !== undefined && !isUtf8(k) ? 'entry k (key) field is not UTF-8'
    : undefined;
  if (reason !== undefined) return undecodable(topic, id, fields, reason, k);
  let headers: Record<string, string> = {};
  if (h !== undefined) {
    const parsed = parseHeaders(h);
    if (typeof parsed === 'string') return undecodable(topic, id, fields, parsed, k);
    headers = parsed;
  }
  return { topic, key: k?.toString() ?? '', value: v!, headers, id };
}

/** The `h` field as headers, or what is wrong with it. */
function parseHeaders(h: Buffer): Record<string, string> | string {
  if (!isUtf8(h)) return 'entry h (headers) field is not UTF-8';
  let parsed: unknown;
  try {
    parsed = JSON.parse(h.toString('utf8'));
  } catch (err) {
    return `entry h (headers) field is not JSON: ${(err as Error).message}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'entry h (headers) field is not a JSON object';
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') return `entry h (headers) field: header ${JSON.stringify(name.slice(0, 100))} is not a string`;
  }
  return parsed as Record<string, string>;
}

function undecodable(topic: string, id: string, fields: Buffer[], reason: string, k: Buffer | undefined): Undecodable {
  const raw: Record<string, unknown> = {};
  let value: Buffer = Buffer.alloc(0);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    // The value travels as the dead letter's value, byte for byte; the rest as text.
    if (name === 'v') value = fields[i + 1]!;
    else raw[name] = rawBytes(fields[i + 1]!);
  }
  return { topic, id, reason, key: k !== undefined && isUtf8(k) ? k.toString('utf8') : '', value, raw };
}
