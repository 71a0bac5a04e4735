import { isUtf8 } from 'node:buffer';

/**
 * A message the bus could not turn into a BusMessage (written onto the topic by something other
 * than this bus). It cannot be handled now or ever, so it is dead-lettered at once and
 * acknowledged: left pending, it would be reclaimed forever and, since acknowledgements go in
 * order, hold back everything after it.
 */
export interface Undecodable {
  topic: string;
  /** Position in the topic, as `BusMessage.id`. */
  id: string;
  /** What was wrong, naming the field. */
  reason: string;
  /** The key when it could be read, else ''. */
  key: string;
  /** The value bytes, empty when there were none. */
  value: Buffer;
  /** The source's fields as the broker held them (see `DLQ_HEADERS.raw`). */
  raw: Record<string, unknown>;
}

/** Raw bytes as JSON can carry them: text when they are UTF-8, else base64; null when absent. */
export function rawBytes(bytes: Buffer | string | null | undefined): string | { base64: string } | null {
  if (bytes === null || bytes === undefined) return null;
  if (typeof bytes === 'string') return bytes;
  return isUtf8(bytes) ? bytes.toString('utf8') : { base64: bytes.toString('base64') };
}
