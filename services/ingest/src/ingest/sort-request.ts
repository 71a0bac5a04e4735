import type { ValidateOptions } from '@repute/telemetry';
import type { OutgoingMessage } from '@repute/bus';
import { sortEvents } from './accept-events.ts';
import { decodeBody, type BodyFormat, type DecodeLimits } from './decode-body.ts';

/** A request body as received, with what is needed to read and judge it. */
export interface SortInput {
  bytes: Uint8Array;
  format: BodyFormat;
  /** The Content-Encoding header, if any. */
  encoding: string | undefined;
  limits: DecodeLimits;
  /** From the API key, never from the body. */
  tenant: string;
  /** Epoch ms at which the request arrived: its events are judged against it. */
  receivedAt: number;
  validation: ValidateOptions;
  /** The key is a trusted source. */
  trusted: boolean;
}

/** A request read: what goes on the bus, and the 202's body once it went. */
export interface SortedRequest {
  messages: OutgoingMessage[];
  accepted: number;
  /** The reason of each rejection, for the metrics. */
  rejectedReasons: string[];
  /** The answer's JSON: `{ accepted, rejected, acceptedIds, rejections }`. */
  answer: string;
}

/**
 * The CPU of a telemetry request, from the bytes to the bus messages and the answer: decompress,
 * parse, validate and canonicalise every event, encode the accepted ones, write the answer. The
 * same function runs on the event loop or in a sorting thread (sorter.ts); a malformed body
 * throws its ReputeError.
 */
export async function sortRequest(input: SortInput): Promise<SortedRequest> {
  const bytes = Buffer.isBuffer(input.bytes) ? input.bytes : Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  const raw = await decodeBody(bytes, input.format, input.encoding, input.limits);
  const { acceptedIds, rejections, messages } = sortEvents(raw, input.tenant, input.receivedAt, input.validation, input.trusted);
  return {
    messages,
    accepted: acceptedIds.length,
    rejectedReasons: rejections.map((r) => r.reason),
    answer: JSON.stringify({ accepted: acceptedIds.length, rejected: rejections.length, acceptedIds, rejections }),
  };
}
