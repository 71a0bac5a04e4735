import { ReputeError } from '@repute/http';

export function badBody(code: string, detail: string, cause?: unknown): ReputeError {
  return new ReputeError({ code, status: 400, title: 'Malformed telemetry body', detail, cause });
}

/** A request without a body: 400, whatever content type it announced (or none). */
export function emptyBody(): ReputeError {
  return badBody('REPUTE_INGEST_EMPTY_BODY', 'the request has no body: send a JSON array or NDJSON of events');
}

export function tooLarge(code: string, detail: string): ReputeError {
  return new ReputeError({ code, status: 413, title: 'Telemetry body too large', detail });
}

/** The bus could not take the batch: nothing of it counts as accepted; the client retries it. */
export function busUnavailable(retryAfterSeconds: number, cause: unknown): ReputeError {
  return new ReputeError({
    code: 'REPUTE_INGEST_BUS_UNAVAILABLE',
    status: 503,
    title: 'Telemetry bus unavailable',
    detail: 'no event of this request was accepted; send the same events again (same ids) after Retry-After',
    retriable: true,
    cause,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
}
