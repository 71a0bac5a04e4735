import type { FastifyRequest } from 'fastify';
import { badField } from '../analyst-error.ts';

/** The caller's tenant, or '' for an admin key (which sees every tenant). */
export function tenantScope(request: FastifyRequest): string {
  const p = request.principal;
  if (p === null) throw new Error('route without a scope reached a tenant-scoped handler');
  return p.scopes.includes('admin') ? '' : p.tenant;
}

export function isAdmin(request: FastifyRequest): boolean {
  return request.principal?.scopes.includes('admin') ?? false;
}

/** ISO 8601 or epoch milliseconds → epoch ms; a 400 naming the field otherwise. */
export function parseTime(field: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms) || ms < 0 || ms > 9_999_999_999_999) throw badField(field, 'must be an ISO 8601 time or epoch milliseconds');
  return ms;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "24h", "7d" → milliseconds. */
export function parseWindow(field: string, text: string, maxMs: number): number {
  const m = /^(\d{1,5})([mhd])$/.exec(text);
  const ms = m === null ? NaN : Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!Number.isFinite(ms) || ms <= 0 || ms > maxMs) throw badField(field, `must be a duration like 90m, 24h or 7d, at most ${maxMs / 86_400_000} days`);
  return ms;
}
