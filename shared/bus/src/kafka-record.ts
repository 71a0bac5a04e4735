import { isUtf8 } from 'node:buffer';
import type { KafkaMessage } from 'kafkajs';
import type { BusMessage } from './types.ts';
import { rawBytes, type Undecodable } from './undecodable.ts';

/**
 * Reads a record as `publish` writes it: a UTF-8 key (or none), a value, headers of one UTF-8
 * string each. A record another producer wrote otherwise (a null value, a header without a
 * value, given twice, or not UTF-8) comes back as Undecodable with the reason. A header with
 * a null value used to throw in the middle of a fetch, which kafkajs retried without end; a
 * repeated one lost all but its first value.
 */
export function decodeRecord(topic: string, partition: number, m: KafkaMessage): BusMessage | Undecodable {
  const id = `${partition}:${m.offset}`;
  if (m.value === null) return undecodable(topic, id, m, 'record has no value (null)');
  if (m.key !== null && !isUtf8(m.key)) return undecodable(topic, id, m, 'record key is not UTF-8');
  const headers: Record<string, string> = {};
  if (m.headers !== undefined) {
    for (const name in m.headers) {
      // kafkajs decodes a null header value as null, which its types do not admit.
      const value = m.headers[name] as Buffer | string | (Buffer | string)[] | null | undefined;
      if (value === undefined) continue;
      const label = JSON.stringify(name.slice(0, 100));
      if (value === null) return undecodable(topic, id, m, `record header ${label} has no value (null)`);
      if (Array.isArray(value)) return undecodable(topic, id, m, `record header ${label} is given ${value.length} times`);
      if (typeof value !== 'string' && !isUtf8(value)) return undecodable(topic, id, m, `record header ${label} is not UTF-8`);
      headers[name] = value.toString();
    }
  }
  return { topic, key: m.key?.toString() ?? '', value: m.value, headers, id };
}

function undecodable(topic: string, id: string, m: KafkaMessage, reason: string): Undecodable {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    const v = value as Buffer | string | (Buffer | string)[] | null | undefined;
    headers[name] = Array.isArray(v) ? v.map(rawBytes) : rawBytes(v);
  }
  return {
    topic,
    id,
    reason,
    key: m.key !== null && isUtf8(m.key) ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    raw: { key: rawBytes(m.key), headers, ...(m.value === null ? { value: null } : {}) },
  };
}
