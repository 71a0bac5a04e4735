import type { TelemetryEvent } from './schema.ts';

/** What goes on the bus for one event. */
export interface TelemetryEnvelope {
  v: 1;
  /** From the API key that sent the event, never from the body. */
  tenant: string;
  /** Epoch ms at which ingest accepted the event. */
  receivedAt: number;
  /**
   * Present (and true) only when the API key that sent the event is a trusted source: its
   * evidence alone may convict globally. Absent means untrusted.
   */
  trusted?: true;
  event: TelemetryEvent;
}

/** Typed failure to read an envelope off the bus. */
export class EnvelopeError extends Error {
  readonly code = 'REPUTE_TELEMETRY_BAD_ENVELOPE';
}

/** The envelope as compact JSON; `trusted` as for {@link envelopeEncoder}. */
export function encodeEnvelope(tenant: string, receivedAt: number, event: TelemetryEvent, trusted = false): string {
  return envelopeEncoder(tenant, receivedAt, trusted)(event);
}

/**
 * Encodes many envelopes of one request: the frame (tenant, receivedAt, trusted) is serialised
 * once and only the event per call, with the same bytes as JSON.stringify of the whole envelope
 * (fields in the order v, tenant, receivedAt, trusted, event). Saves a wrapper object and the
 * tenant's escaping per event. `"trusted":true` is written only for a trusted key, so an
 * untrusted envelope has the bytes it had before the field existed.
 */
export function envelopeEncoder(tenant: string, receivedAt: number, trusted = false): (event: TelemetryEvent) => string {
  const head = `{"v":1,"tenant":${JSON.stringify(tenant)},"receivedAt":${JSON.stringify(receivedAt)},${trusted ? '"trusted":true,' : ''}"event":`;
  return (event) => `${head}${JSON.stringify(event)}}`;
}

// A lone surrogate survives JSON (escaped as \udXXX) but nothing downstream can store it: the
// ClickHouse and Redis JSON readers refuse the escape, so one such event would fail its whole
// batch on every retry. Strings carrying one are made well-formed (U+FFFD), as any UTF-8
// encoder would; the escape is searched for first, so well-formed input pays one scan.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const wellFormed = (_key: string, value: unknown): unknown => (typeof value === 'string' ? value.toWellFormed() : value);

/**
 * Parses an envelope read from the bus. Ingest validated the event before publishing, so this
 * checks only the frame (version, tenant, trusted, event id), not the whole schema again.
 * Strings come out well-formed (see above).
 */
export function decodeEnvelope(raw: Buffer | string): TelemetryEnvelope {
  let parsed: unknown;
  try {
    const text = typeof raw === 'string' ? raw : raw.toString('utf8');
    parsed = SURROGATE_ESCAPE.test(text) ? JSON.parse(text, wellFormed) : JSON.parse(text);
  } catch (err) {
    throw new EnvelopeError('envelope is not JSON', { cause: err });
  }
  const env = parsed as Partial<TelemetryEnvelope> | null;
  if (env === null || typeof env !== 'object' || env.v !== 1) throw new EnvelopeError('not a v1 telemetry envelope');
  if (typeof env.tenant !== 'string' || typeof env.receivedAt !== 'number') throw new EnvelopeError('envelope without tenant or receivedAt');
  const trusted: unknown = env.trusted;
  if (trusted !== undefined && typeof trusted !== 'boolean') throw new EnvelopeError('envelope whose trusted is not a boolean');
  // `"trusted":false` is not what an encoder writes, but means untrusted: read as absent.
  if (trusted === false) delete env.trusted;
  if (typeof env.event !== 'object' || env.event === null || typeof env.event.id !== 'string') {
    throw new EnvelopeError('envelope without an event id');
  }
  return env as TelemetryEnvelope;
}
