import { ReputeError } from '@repute/http';

/** A 400 naming the field, in the same shape as a schema validation problem. */
export function badField(field: string, reason: string, code = 'REPUTE_ANALYST_BAD_INPUT'): ReputeError {
  return new ReputeError({ code, status: 400, title: 'Invalid request', detail: `${field} ${reason}`, extra: { errors: [{ field, reason }] } });
}

export function notFound(what: string, code = 'REPUTE_ANALYST_NOT_FOUND'): ReputeError {
  return new ReputeError({ code, status: 404, title: 'Not found', detail: what });
}

export function forbidden(detail: string): ReputeError {
  return new ReputeError({ code: 'REPUTE_ANALYST_FORBIDDEN', status: 403, title: 'Not allowed', detail });
}

export function conflict(detail: string, code = 'REPUTE_ANALYST_CONFLICT'): ReputeError {
  return new ReputeError({ code, status: 409, title: 'Conflict', detail });
}

/** A tenant at one of its caps (watchlists, watched indicators, open disputes): 409 naming the field and the cap. */
export function tenantLimit(field: string, reason: string): ReputeError {
  return new ReputeError({ code: 'REPUTE_ANALYST_TENANT_LIMIT', status: 409, title: 'Tenant limit reached', detail: `${field} ${reason}`, extra: { errors: [{ field, reason }] } });
}
