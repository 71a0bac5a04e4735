import { decodeEnvelope, EnvelopeError, type TelemetryEnvelope } from './envelope.ts';
import { validateAndCanonicalize, type ValidateOptions } from './validate.ts';

// The age and skew bounds are ingest's admission policy (configurable there, judged when the
// event arrived), not a property of the event: a consumer reading a backlog or a replay days
// later must not refuse what ingest rightly accepted. The schema's own bounds on the time stay.
const UNBOUNDED: ValidateOptions = { maxAgeMs: Number.POSITIVE_INFINITY, maxFutureSkewMs: Number.POSITIVE_INFINITY };

/**
 * Parses an envelope read from the bus and checks it as strictly as ingest checked the event:
 * the frame (as {@link decodeEnvelope}, and `receivedAt` epoch milliseconds), then the event
 * through ingest's own validator, in the shape ingest publishes: every field of the JSON type
 * ingest writes (a `time` given as a string, a missing `v`, is refused). Consumers cannot trust
 * the bus to hold only what ingest wrote: anything with access can append to it. Returns the
 * envelope with the event as the validator canonicalised it; a value of the right type that is
 * not canonical (an upper-case hash, or a URL written by an older canonicaliser) is taken in
 * its canonical form, as lookups would name it, rather than refused. Throws EnvelopeError
 * naming the reason and the field.
 */
export function decodeValidatedEnvelope(raw: Buffer | string): TelemetryEnvelope {
  const env = decodeEnvelope(raw);
  if (!Number.isSafeInteger(env.receivedAt) || env.receivedAt < 0) throw new EnvelopeError('envelope receivedAt is not epoch milliseconds');
  if (env.tenant === '') throw new EnvelopeError('envelope with an empty tenant');
  const result = validateAndCanonicalize(env.event, 0, UNBOUNDED);
  if (!result.ok) throw new EnvelopeError(`event ${result.reason} at ${result.field === '' ? '/' : result.field}: ${result.detail}`);
  const at = shapeDifference(env.event, result.event, '');
  if (at !== undefined) throw new EnvelopeError(`event not in the form ingest publishes at ${at.path === '' ? '/' : at.path}: ${at.detail}`);
  env.event = result.event;
  return env;
}

const typeOf = (x: unknown): string => (x === undefined ? 'nothing' : x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : `a ${typeof x}`);

/**
 * The first place where two JSON values differ in shape (a field present in one only, a value
 * of another JSON type, an array of another length), or undefined. Values of the same type may
 * differ.
 */
function shapeDifference(given: unknown, canonical: unknown, path: string): { path: string; detail: string } | undefined {
  const a = typeOf(given);
  const b = typeOf(canonical);
  if (a !== b) return { path, detail: `${a} where ingest writes ${b}` };
  if (Array.isArray(given)) {
    const other = canonical as unknown[];
    if (given.length !== other.length) return { path, detail: `${given.length} items where ingest writes ${other.length}` };
    for (let i = 0; i < given.length; i++) {
      const d = shapeDifference(given[i], other[i], `${path}/${i}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (a !== 'an object') return undefined;
  const x = given as Record<string, unknown>;
  const y = canonical as Record<string, unknown>;
  for (const key in x) {
    const d = shapeDifference(x[key], Object.hasOwn(y, key) ? y[key] : undefined, `${path}/${key}`);
    if (d !== undefined) return d;
  }
  for (const key in y) if (!Object.hasOwn(x, key)) return { path: `${path}/${key}`, detail: `nothing where ingest writes ${typeOf(y[key])}` };
  return undefined;
}
