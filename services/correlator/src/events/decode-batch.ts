import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { telemetryTuple } from '@repute/analytics';
import type { BusMessage, RejectedMessage } from '@repute/bus';
import { decodeValidatedEnvelope } from '@repute/telemetry';
import { allowListOf, type Policy } from '@repute/verdicts';
import { YIELD_EVERY } from '../event-loop.ts';
import { LineBuffer } from '../sink/line-buffer.ts';
import { hostOf, observe, telemetryRows, type DigestCache, type Observation } from './observations.ts';

/** A batch's messages read: the events to apply, their raw rows, and the messages that are no telemetry. */
export interface DecodedBatch {
  observations: Observation[];
  /** The message each observation came from, by position, for a refusal by the state script. */
  sources: BusMessage[];
  /** The raw rows, encoded as the events are decoded. */
  rows: LineBuffer;
  rejected: RejectedMessage[];
}

export async function decodeBatch(
  batch: BusMessage[],
  policy: Policy,
  log?: { warn(obj: object, msg: string): void },
): Promise<DecodedBatch> {
  const observations: Observation[] = [];
  const rows = new LineBuffer();
  const digests: DigestCache = new Map();
  // On a listed host (a file share, a top site) the query names the content, not a
  // recipient: `drive.google.com/uc?id=…` is a different file for every id.
  const tokenised = (url: string): boolean => {
    const host = hostOf(url);
    return host !== undefined && allowListOf(policy, host.kind, host.value) === undefined;
  };
  const rejected: RejectedMessage[] = [];
  const sources: BusMessage[] = [];
  for (let n = 0; n < batch.length; n++) {
    if (n > 0 && n % YIELD_EVERY === 0) await yieldToLoop();
    const message = batch[n]!;
    try {
      // Validated as ingest validates: anything can be appended to the bus, and one event
      // with a value of the wrong type must not reach the state script or ClickHouse, where
      // it would fail the whole batch on every retry. Measured on file events (half with a
      // URL): 2.4 µs of CPU an event to decode, about 5 µs to decode and validate, against
      // the 50–60 µs an event costs the correlator in all (bench-results/correlator.json).
      const o = observe(decodeValidatedEnvelope(message.value), digests, tokenised);
      const own = telemetryRows(o).map((r) => JSON.stringify(telemetryTuple(r)));
      observations.push(o);
      sources.push(message);
      for (let i = 0; i < own.length; i++) rows.push(own[i]!);
    } catch (err) {
      // What cannot be read now never will be: dead-lettered alone, with the reason.
      const reason = err instanceof Error
        ? `${(err as { code?: unknown }).code ?? err.name}: ${err.message}`
        : String(err);
      rejected.push({ message, reason });
      log?.warn({ err, id: message.id }, 'invalid telemetry message rejected');
    }
  }
  return { observations, sources, rows, rejected };
}
