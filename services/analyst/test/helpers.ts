import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { migrate } from '@repute/analytics';
import { dropDatabase, testClickHouse, testClickHouseConfig } from '@repute/analytics/testkit';
import { createKeyStore, type Scope } from '@repute/auth';
import type { BusMessage } from '@repute/bus';
import { createCorrelator, propagateOnce, type Correlator } from '@repute/correlator';
import { loadPolicy } from '@repute/verdicts';
import { testRedisUrl, deleteKeysWithPrefix, uniqueName } from '@repute/infra/testkit';
import { createReputationStore, type ReputationStore } from '@repute/store';
import { encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import analystApp from '../src/app.ts';
import { loadAnalystConfig, type AnalystConfig } from '../src/config.ts';
import { SERVER_OPTIONS } from '@repute/http';

const policy = loadPolicy();
let seq = 0;

/** A bus message as ingest would publish it, for the real correlator to process. */
export function message(event: Partial<TelemetryEvent>, tenant: string): BusMessage {
  seq += 1;
  const full = { v: 1, id: `ev-${process.pid}-${seq}`, sensor: 's1', host: 'h1', time: Date.now(), type: 'file_seen', ...event } as TelemetryEvent;
  return { topic: 'telemetry.v1', key: 'k', value: Buffer.from(encodeEnvelope(tenant, Date.now(), full)), headers: {}, id: `${Date.now()}-${seq}` };
}

export interface Harness {
  app: FastifyInstance;
  config: AnalystConfig;
  correlator: Correlator;
  /** The reputation records the edge serves. */
  store: ReputationStore;
  redis: Redis;
  prefix: string;
  database: string;
  key(tenant: string, scopes: Scope[], extra?: { dailyQuota?: number; rateLimitPerMinute?: number }): Promise<string>;
  /** Runs the correlator's propagation as its loop would, until nothing is left to pass on. */
  propagate(): Promise<void>;
  get(url: string, key: string): Promise<{ status: number; body: any; headers: Record<string, unknown>; text: string }>;
  send(method: 'POST' | 'PUT' | 'DELETE', url: string, key: string, payload?: object): Promise<{ status: number; body: any; text: string }>;
}

/**
 * The analyst app over a fresh key prefix and ClickHouse database, with the real correlator
 * writing into the same ones (records, update stream, telemetry, aggregates, verdict log).
 */
export async function harness(t: TestContext, env: Record<string, string> = {}): Promise<Harness> {
  const redisUrl = await testRedisUrl();
  const prefix = `${uniqueName('an')}:`;
  const database = uniqueName('an');
  const config = loadAnalystConfig({
    env: {
      REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', CLICKHOUSE_DATABASE: database,
      ...testClickHouseConfig(),
      ANALYST_WEBHOOK_ALLOW_PRIVATE: 'true', ANALYST_WEBHOOK_BASE_DELAY_MS: '20',
      ...env,
    },
  });
  const redis = new Redis(redisUrl);
  const clickhouse = testClickHouse();
  await migrate(clickhouse, { database, retentionDays: 7 });
  const store = createReputationStore(redis, { prefix });
  const correlator = createCorrelator({ redis, store, clickhouse, database, policy: () => policy, prefix });
  const app = Fastify({ logger: process.env['ANALYST_TEST_LOG'] ? { level: 'error' } : false, ...SERVER_OPTIONS });
  await app.register(analystApp, { config });
  await app.ready();
  const keys = createKeyStore(redis, { prefix });
  t.after(async () => {
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    await dropDatabase(clickhouse, database);
    await clickhouse.close();
    redis.disconnect();
  });
  const parse = (text: string) => { try { return JSON.parse(text); } catch { return undefined; } };
  return {
    app, config, correlator, store, redis, prefix, database,
    key: async (tenant, scopes, extra = {}) => (await keys.create({ tenant, scopes, ...extra })).key,
    async propagate() {
      for (let round = 0; round < 10; round++) {
        const result = await propagateOnce({ redis, clickhouse, database, correlator, policy: () => policy, prefix });
        if (result.sources === 0) return;
      }
    },
    async get(url, key) {
      const res = await app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      return { status: res.statusCode, body: parse(res.body), headers: res.headers, text: res.body };
    },
    async send(method, url, key, payload) {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined ? { payload } : {}) });
      return { status: res.statusCode, body: parse(res.body), text: res.body };
    },
  };
}

/** Polls until `probe` holds (conditions, never sleeps). */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const enc = encodeURIComponent;

/**
 * A Python with taxii2-client and stix2 (PyPI), the stock clients partners read Repute with:
 * a venv created on first use outside the repository and reused after. Null (the test skipped)
 * when PyPI cannot be reached outside CI; under CI that fails.
 */
export async function stixPython(t: TestContext): Promise<string | null> {
  const run = promisify(execFile);
  const venv = join(homedir(), '.cache', 'repute', 'taxii-venv');
  const python = join(venv, 'bin', 'python');
  const ready = async () => existsSync(python) && (await run(python, ['-c', 'import taxii2client, stix2']).then(() => true, () => false));
  if (await ready()) return python;
  try {
    if (!existsSync(python)) await run('python3', ['-m', 'venv', venv]);
    await run(join(venv, 'bin', 'pip'), ['install', '--quiet', 'taxii2-client', 'stix2'], { timeout: 170_000 });
  } catch (err) {
    if (process.env['CI'] === 'true') throw new Error('taxii2-client and stix2 could not be installed from PyPI under CI', { cause: err });
    t.skip(`taxii2-client and stix2 are not installed and pip could not reach PyPI: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
  return (await ready()) ? python : null;
}
