import { createHash, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { createKeyStore } from '@repute/auth';
import type { ReputationRecord } from '@repute/core';
import { edgeApp, loadEdgeConfig, type EdgeConfig } from '@repute/edge';
import { testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { compareStreamIds, createReputationStore, loadSigningKeys, type ReputationStore } from '@repute/store';

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
export const randomSha = (): string => randomBytes(32).toString('hex');

/** What the test server should answer instead of routing the next requests. */
export interface Refusal {
  status: number;
  retryAfter?: string;
  times: number;
}

/** A running edge on a real listener, with a request counter per route. */
export interface TestEdge {
  config: EdgeConfig;
  url: string;
  port: number;
  app: FastifyInstance;
  store: ReputationStore;
  redis: Redis;
  /** Requests that reached the server, by `METHOD /route/pattern`. */
  requests: Map<string, number>;
  /** Set to make the server refuse the next requests (as a proxy or overloaded edge would). */
  refuse: Refusal | undefined;
  /** Request URLs (path and query) in arrival order. */
  urls: string[];
  /** Requests to lookup routes (single, batch, prefix). */
  lookupRequests(): number;
  count(route: string): number;
  stop(): Promise<void>;
  /** Starts a new instance on the same port and data (after stop). */
  restart(): Promise<void>;
  /** The deployment's public key (SPKI PEM), as an operator would pin it. */
  publicKeyPem(): Promise<string>;
  createKey(extra?: { rateLimitPerMinute?: number }): Promise<string>;
  write(kind: ReputationRecord['kind'], value: string, verdict: ReputationRecord['verdict'], ttl?: number): Promise<void>;
}

export function record(kind: ReputationRecord['kind'], value: string, verdict: ReputationRecord['verdict'], ttl = 600): ReputationRecord {
  return {
    kind, value, verdict, score: verdict === 'malicious' ? 95 : 40, confidence: 0.9, categories: ['test'],
    firstSeen: 1_700_000_000_000, lastSeen: 1_700_000_500_000, prevalence: { sensors: 4, tenants: 2 },
    reasons: [{ rule: 'feed.listed', weight: 0.9, evidence: 3 }], version: 1, ttl,
  };
}

/** Starts the edge against the test run's Redis under a fresh key prefix; stops it after the test. */
export async function startEdge(t: TestContext, env: Record<string, string> = {}): Promise<TestEdge> {
  const config = loadEdgeConfig({
    env: {
      REDIS_URL: await testRedisUrl(),
      REDIS_KEY_PREFIX: `${uniqueName('client')}:`,
      LOG_LEVEL: 'silent',
      EDGE_FILTER_CAPACITY: '10000',
      EDGE_FILTER_REBUILD_INTERVAL_S: '0',
      ...env,
    },
  });
  const redis = new Redis(config.REDIS_URL);
  const store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX });
  let app: FastifyInstance | undefined;
  let port = 0;
  const edge: TestEdge = {
    config,
    url: '',
    port: 0,
    get app() {
      if (app === undefined) throw new Error('edge not running');
      return app;
    },
    store,
    redis,
    requests: new Map(),
    urls: [],
    refuse: undefined,
    lookupRequests() {
      let n = 0;
      for (const [route, c] of edge.requests) if (route.includes('/v1/reputation/')) n += c;
      return n;
    },
    count: (route) => edge.requests.get(route) ?? 0,
    async stop() {
      const running = app;
      app = undefined;
      await running?.close();
    },
    async restart() {
      const instance = Fastify({ logger: false, bodyLimit: config.BODY_LIMIT_BYTES, forceCloseConnections: true });
      instance.addHook('onRequest', (request, reply, done) => {
        const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
        edge.requests.set(route, (edge.requests.get(route) ?? 0) + 1);
        edge.urls.push(request.url);
        const refusal = edge.refuse;
        if (refusal !== undefined && refusal.times > 0 && request.url !== '/healthz') {
          refusal.times--;
          if (refusal.retryAfter !== undefined) void reply.header('retry-after', refusal.retryAfter);
          void reply.code(refusal.status).type('application/problem+json').send({ type: 'about:blank', title: 'Refused by test', status: refusal.status, code: 'TEST_REFUSED' });
          return;
        }
        done();
      });
      // Unencapsulated, so the test can read the edge's decorators (its update position).
      await instance.register(fp(edgeApp), { config });
      await instance.listen({ host: '127.0.0.1', port });
      const address = instance.server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      port = address.port;
      edge.port = port;
      edge.url = `http://127.0.0.1:${port}`;
      app = instance;
    },
    async publicKeyPem() {
      return (await loadSigningKeys(redis, config.REDIS_KEY_PREFIX)).publicKeyPem;
    },
    async createKey(extra = {}) {
      return (await createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX }).create({ tenant: 'acme', scopes: ['lookup'], ...extra })).key;
    },
    async write(kind, value, verdict, ttl = 600) {
      const { streamId } = await store.write(record(kind, value, verdict, ttl));
      // The edge learns of writes from the update stream: wait until it has read this one.
      if (streamId !== undefined && app !== undefined) {
        const running = app;
        await until('the edge read the write', () => compareStreamIds(running.edgeUpdates.asOf().position, streamId) >= 0);
      }
    },
  };
  t.after(async () => {
    await edge.stop();
    redis.disconnect();
  });
  await edge.restart();
  return edge;
}

/** Polls until `probe` holds (conditions, never fixed sleeps). */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
