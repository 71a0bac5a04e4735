import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import type { ReputationRecord } from '@repute/core';
import { Redis } from 'ioredis';
import { createKeyStore, type Scope } from '@repute/auth';
import { createOverlayStore, createReputationStore, type OverlayStore, type ReputationStore } from '@repute/store';
import { uniqueName } from '@repute/infra/testkit';
import edgeApp, { type EdgeAppOptions } from '../src/app.ts';
import { loadEdgeConfig, type EdgeConfig } from '../src/config.ts';
import { SERVER_OPTIONS } from '@repute/http';

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export function edgeConfig(redisUrl: string, extra: Record<string, string> = {}): EdgeConfig {
  return loadEdgeConfig({
    env: {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `${uniqueName('edge')}:`,
      LOG_LEVEL: 'silent',
      EDGE_FILTER_CAPACITY: '10000',
      EDGE_FILTER_REBUILD_INTERVAL_S: '0',
      ...extra,
    },
  });
}

export async function buildEdge(config: EdgeConfig, options: Omit<EdgeAppOptions, 'config'> = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES, ...SERVER_OPTIONS });
  await app.register(edgeApp, { config, ...options });
  await app.ready();
  return app;
}

export async function createKey(config: EdgeConfig, tenant: string, scopes: Scope[] = ['lookup'], extra: { rateLimitPerMinute?: number; dailyQuota?: number } = {}): Promise<{ id: string; key: string }> {
  const redis = new Redis(config.REDIS_URL);
  try {
    return await createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX }).create({ tenant, scopes, ...extra });
  } finally {
    redis.disconnect();
  }
}

/** A store on its own connection, as a correlator would write through. */
export function writer(config: EdgeConfig): { store: ReputationStore; overlays: OverlayStore; redis: Redis } {
  const redis = new Redis(config.REDIS_URL);
  const store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  return { store, overlays: createOverlayStore(redis, store), redis };
}

export function record(kind: ReputationRecord['kind'], value: string, verdict: ReputationRecord['verdict'], version = 1): ReputationRecord {
  return {
    kind, value, verdict, score: verdict === 'malicious' ? 95 : 40, confidence: 0.9, categories: ['test'],
    firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_500_000, prevalence: { sensors: 4, tenants: 2 },
    reasons: [{ rule: 'feed.listed', weight: 0.9, evidence: 3 }], version, ttl: 600,
  };
}

/** Reads a counter's total from /metrics text. */
export async function metricTotal(app: FastifyInstance, name: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Polls until `probe` returns true (conditions, not sleeps). */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
