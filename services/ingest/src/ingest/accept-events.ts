import type { OutgoingMessage } from '@repute/bus';
import { envelopeEncoder, validateAndCanonicalize, type Rejection, type ValidateOptions } from '@repute/telemetry';
import { UnparsableLine } from './decode-body.ts';

export interface Sorted {
  acceptedIds: string[];
  rejections: Omit<Rejection, 'ok'>[];
  messages: OutgoingMessage[];
}

/**
 * Validates and canonicalises every raw event and turns the valid ones into bus messages keyed
 * by their primary indicator. A second event with an id already seen in the same request is
 * rejected: one request, one answer per id. `trusted` (the sending key is a trusted source)
 * is written into every envelope.
 */
export function sortEvents(raw: unknown[], tenant: string, receivedAt: number, options: ValidateOptions, trusted = false): Sorted {
  const acceptedIds: string[] = [];
  const rejections: Omit<Rejection, 'ok'>[] = [];
  const messages: OutgoingMessage[] = [];
  const seen = new Set<string>();
  const encode = envelopeEncoder(tenant, receivedAt, trusted);
  // One reference time for the whole request: its events are judged against when it arrived.
  const judged = options.now === undefined ? { ...options, now: receivedAt } : options;
  for (let index = 0; index < raw.length; index++) {
    const item = raw[index];
    if (item instanceof UnparsableLine) {
      rejections.push({ index, reason: 'invalid_json', field: '', detail: item.detail });
      continue;
    }
    const result = validateAndCanonicalize(item, index, judged);
    if (!result.ok) {
      const { ok: _ok, ...rejection } = result;
      rejections.push(rejection);
      continue;
    }
    const event = result.event;
    if (seen.has(event.id)) {
      rejections.push({ index, id: event.id, reason: 'duplicate_id', field: '/id', detail: 'the same id appears earlier in this request' });
      continue;
    }
    seen.add(event.id);
    acceptedIds.push(event.id);
    messages.push({ key: result.primary.digest, value: encode(event) });
  }
  return { acceptedIds, rejections, messages };
}
