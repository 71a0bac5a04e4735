import { createBus } from '@repute/bus';
import { INDICATOR_KINDS, streamIdTime } from '@repute/core';
import { createReputationStore, storeKeys } from '@repute/store';
import { apiUrlOf, redisUrlOf } from '../cli-config.ts';
import { EXIT } from '../cli-error.ts';
import { emit, withRedis, type CommandContext } from '../context.ts';

const KINDS = INDICATOR_KINDS;

interface Status {
  api: { url: string; ready: boolean; checks?: Record<string, { ok: boolean; detail?: string }>; error?: string };
  redis: { url: string; ok: boolean; error?: string };
  records?: Record<string, number>;
  keys?: number;
  updates?: { last: string; lastAt: string | null; ageSeconds: number | null };
  bus?: { kind: string; topic: string; group: string; lag: number | null; deadLetters: number | null };
}

function streamTime(id: string): number | null {
  const ms = streamIdTime(id);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

/** `status`: whether the services are ready, records per kind, freshness of updates, bus lag. */
export async function status(ctx: CommandContext, options: { url?: string }): Promise<number> {
  const config = ctx.config;
  const base = apiUrlOf(config, options.url);
  const result: Status = { api: { url: base, ready: false }, redis: { url: '', ok: false } };
  try {
    const res = await fetch(`${base}/readyz`);
    const body = (await res.json()) as { checks?: Status['api']['checks'] };
    result.api = { url: base, ready: res.ok, ...(body.checks !== undefined ? { checks: body.checks } : {}) };
  } catch (err) {
    result.api.error = `unreachable: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`;
  }
  try {
    result.redis.url = redisUrlOf(config);
    await withRedis(config, async (redis, url) => {
      result.redis = { url, ok: true };
      const prefix = config.REDIS_KEY_PREFIX;
      const pipeline = redis.pipeline();
      for (const kind of KINDS) pipeline.zcard(storeKeys.index(prefix, kind));
      pipeline.scard(`${prefix}auth:keys`);
      const replies = (await pipeline.exec()) ?? [];
      result.records = Object.fromEntries(KINDS.map((kind, i) => [kind, Number(replies[i]?.[1] ?? 0)]));
      result.keys = Number(replies[KINDS.length]?.[1] ?? 0);
      const range = await createReputationStore(redis, { prefix }).updatesRange();
      const at = streamTime(range.last);
      result.updates = { last: range.last, lastAt: at === null ? null : new Date(at).toISOString(), ageSeconds: at === null ? null : Math.round((Date.now() - at) / 1000) };
      const bus = createBus({ ...config, REDIS_URL: url });
      try {
        const topic = config.TELEMETRY_TOPIC;
        const lag = await bus.lag(topic, config.CORRELATOR_GROUP).catch(() => null);
        const deadLetters = await bus.read(`${topic}.dlq`, { limit: 100_000 }).then((m) => m.length, () => null);
        result.bus = { kind: bus.kind, topic, group: config.CORRELATOR_GROUP, lag, deadLetters };
      } finally {
        await bus.close();
      }
    });
  } catch (err) {
    result.redis.error = (err as Error).message;
  }
  emit(ctx, result, () => {
    const lines = [`api     ${base}: ${result.api.ready ? 'ready' : result.api.error ?? 'not ready'}`];
    for (const [name, check] of Object.entries(result.api.checks ?? {})) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${name}${check.detail !== undefined ? ` (${check.detail})` : ''}`);
    lines.push(`redis   ${result.redis.url || '(unknown)'}: ${result.redis.ok ? 'ok' : result.redis.error ?? 'down'}`);
    if (result.records !== undefined) lines.push(`records ${Object.entries(result.records).map(([k, n]) => `${k} ${n}`).join(', ')}; API keys ${result.keys}`);
    if (result.updates !== undefined) lines.push(`updates last ${result.updates.lastAt ?? 'never'}${result.updates.ageSeconds !== null ? ` (${result.updates.ageSeconds} s ago)` : ''}`);
    if (result.bus !== undefined) lines.push(`bus     ${result.bus.kind} ${result.bus.topic}: lag ${result.bus.lag ?? '?'} for group ${result.bus.group}, dead letters ${result.bus.deadLetters ?? '?'}`);
    return `${lines.join('\n')}\n`;
  });
  return result.api.ready && result.redis.ok ? EXIT.ok : EXIT.failure;
}
