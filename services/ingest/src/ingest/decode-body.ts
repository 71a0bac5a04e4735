import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { badBody, emptyBody, tooLarge } from './errors.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export type BodyFormat = 'json' | 'ndjson';

export interface DecodeLimits {
  maxDecompressedBytes: number;
  maxEvents: number;
}

/** A telemetry body as received, read later by the sorter (sorter.ts). */
export class ReceivedBody {
  readonly bytes: Buffer;
  readonly format: BodyFormat;
  /** The Content-Encoding header, if any. */
  readonly encoding: string | undefined;
  constructor(bytes: Buffer, format: BodyFormat, encoding: string | undefined) {
    this.bytes = bytes;
    this.format = format;
    this.encoding = encoding;
  }
}

/** A line of NDJSON that is not JSON: rejected on its own, the others still count. */
export class UnparsableLine {
  readonly detail: string;
  constructor(detail: string) {
    this.detail = detail;
  }
}

async function decompress(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const coding = (encoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') {
    if (body.length > limit) throw tooLarge('REPUTE_INGEST_BODY_TOO_LARGE', `the body exceeds ${limit} bytes`);
    return body;
  }
  if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== 'deflate') {
    throw badBody('REPUTE_INGEST_UNSUPPORTED_ENCODING', `Content-Encoding ${coding} is not supported (gzip, deflate or none)`);
  }
  try {
    // maxOutputLength stops inflating at the bound, so a gzip bomb costs at most `limit` bytes.
    return await (coding === 'deflate' ? inflateAsync(body, { maxOutputLength: limit }) : gunzipAsync(body, { maxOutputLength: limit }));
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge('REPUTE_INGEST_DECOMPRESSED_TOO_LARGE', `the body decompresses to more than ${limit} bytes`);
    }
    throw badBody('REPUTE_INGEST_BAD_COMPRESSION', `the body is not valid ${coding}`, err);
  }
}

function tooMany(limit: number): never {
  throw tooLarge('REPUTE_INGEST_TOO_MANY_EVENTS', `at most ${limit} events per request`);
}

/**
 * Turns a request body (a JSON array or NDJSON, optionally gzip) into raw events. A JSON array
 * that does not parse fails the request; in NDJSON each line stands alone, so a broken line
 * becomes one rejected event.
 */
export async function decodeBody(body: Buffer, format: BodyFormat, encoding: string | undefined, limits: DecodeLimits): Promise<unknown[]> {
  if (body.length === 0) throw emptyBody();
  const text = (await decompress(body, encoding, limits.maxDecompressedBytes)).toString('utf8');
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw badBody('REPUTE_INGEST_INVALID_JSON', `the body is not valid JSON: ${(err as Error).message}`, err);
    }
    if (!Array.isArray(parsed)) throw badBody('REPUTE_INGEST_NOT_AN_ARRAY', 'an application/json body is an array of events');
    if (parsed.length > limits.maxEvents) tooMany(limits.maxEvents);
    if (parsed.length === 0) throw badBody('REPUTE_INGEST_EMPTY_BATCH', 'the batch holds no event');
    return parsed;
  }
  const events: unknown[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    if (events.length === limits.maxEvents) tooMany(limits.maxEvents);
    try {
      events.push(JSON.parse(line));
    } catch (err) {
      events.push(new UnparsableLine((err as Error).message));
    }
  }
  if (events.length === 0) throw badBody('REPUTE_INGEST_EMPTY_BATCH', 'the batch holds no event');
  return events;
}
