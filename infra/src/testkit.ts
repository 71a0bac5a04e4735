import { randomBytes } from 'node:crypto';
import { startKafka, type KafkaBroker } from './kafka.ts';
import { startRedis, type RedisServer } from './redis.ts';

/**
 * Test helpers. `npm test` runs under `with-services`, which starts one redis-server and one
 * Kafka broker for the whole run and passes them in REPUTE_TEST_REDIS_URL and
 * REPUTE_TEST_KAFKA_BROKERS; a test file run on its own starts private ones instead.
 * Tests isolate themselves by name (key prefix, topic, database), never by sharing state.
 */

let privateRedis: Promise<RedisServer> | undefined;
let privateKafka: Promise<KafkaBroker> | undefined;

/** A unique, readable name for per-test isolation: `<label>_<random hex>`. */
export function uniqueName(label: string): string {
  return `${label.replace(/[^a-zA-Z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
}

/** URL of the test run's redis-server (started on first use when the run did not provide one). */
export async function testRedisUrl(): Promise<string> {
  const fromEnv = process.env['REPUTE_TEST_REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  privateRedis ??= startRedis({ appendOnly: false });
  return (await privateRedis).url;
}

/** Bootstrap brokers of the test run's Kafka (started on first use when the run did not provide one). */
export async function testKafkaBrokers(): Promise<string[]> {
  const fromEnv = process.env['REPUTE_TEST_KAFKA_BROKERS'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.split(',');
  privateKafka ??= startKafka();
  return (await privateKafka).brokers;
}

/** Stops what this process started itself (call from a top-level `after`). */
export async function closeTestServices(): Promise<void> {
  const jobs: Promise<void>[] = [];
  if (privateRedis !== undefined) jobs.push(privateRedis.then((r) => r.close()));
  if (privateKafka !== undefined) jobs.push(privateKafka.then((k) => k.close()));
  privateRedis = undefined;
  privateKafka = undefined;
  await Promise.allSettled(jobs);
}

/** The two Redis commands `deleteKeysWithPrefix` needs (any ioredis client has them). */
interface ScanDel {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
}

/** Removes every key a test wrote under its prefix (SCAN, never KEYS, so a shared server is not blocked). */
export async function deleteKeysWithPrefix(redis: ScanDel, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}
