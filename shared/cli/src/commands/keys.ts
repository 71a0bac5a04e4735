import { createKeyStore, isScope, type Scope } from '@repute/auth';
import { usageError, CliError } from '../cli-error.ts';
import { emit, withRedis, type CommandContext } from '../context.ts';

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw usageError(`${name} must be a positive integer, got ${value}`);
  return n;
}

/** `keys create`: the new key is the last line of the output (scripts take it from there). */
export async function keysCreate(ctx: CommandContext, options: { tenant: string; scopes: string; rateLimit?: string; dailyQuota?: string; trusted?: boolean }): Promise<number> {
  const scopes = options.scopes.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const wrong = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || wrong.length > 0) throw usageError(`unknown scope(s): ${wrong.join(', ') || '(none given)'}; scopes are lookup, ingest, analyst, partner, admin`);
  const rateLimitPerMinute = positiveInt('--rate-limit', options.rateLimit);
  const dailyQuota = positiveInt('--daily-quota', options.dailyQuota);
  const trusted = options.trusted === true;
  const created = await withRedis(ctx.config, async (redis) => createKeyStore(redis, { prefix: ctx.config.REDIS_KEY_PREFIX }).create({
    tenant: options.tenant,
    scopes: scopes as Scope[],
    ...(rateLimitPerMinute !== undefined ? { rateLimitPerMinute } : {}),
    ...(dailyQuota !== undefined ? { dailyQuota } : {}),
    trusted,
  }));
  emit(ctx, { id: created.id, tenant: options.tenant, scopes, trusted, key: created.key }, () =>
    `created ${trusted ? 'trusted ' : ''}key ${created.id} for tenant ${options.tenant} (${scopes.join(',')}); it is shown only once:\n${created.key}\n`);
  return 0;
}

export async function keysList(ctx: CommandContext): Promise<number> {
  const keys = await withRedis(ctx.config, async (redis) => createKeyStore(redis, { prefix: ctx.config.REDIS_KEY_PREFIX }).list());
  emit(ctx, keys.map((k) => ({ ...k, trusted: k.trusted === true })), () => `${[
    'id\ttenant\tscopes\trate/min\tquota/day\tcreated\ttrusted',
    ...keys.map((k) => `${k.id}\t${k.tenant}\t${k.scopes.join(',')}\t${k.rateLimitPerMinute ?? '-'}\t${k.dailyQuota ?? '-'}\t${k.createdAt}\t${k.trusted === true ? 'yes' : 'no'}`),
  ].join('\n')}\n`);
  return 0;
}

export async function keysRevoke(ctx: CommandContext, id: string): Promise<number> {
  const revoked = await withRedis(ctx.config, async (redis) => createKeyStore(redis, { prefix: ctx.config.REDIS_KEY_PREFIX }).revoke(id));
  if (!revoked) throw new CliError(`no key with id ${id}`);
  emit(ctx, { id, revoked: true }, () => `revoked ${id}\n`);
  return 0;
}
