import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { migrate } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import type { BusMessage } from '@repute/bus';
import { closeTestServices, deleteKeysWithPrefix, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createReputationStore } from '@repute/store';
import { decodeEnvelope, encodeEnvelope, type TelemetryEvent } from '@repute/telemetry';
import { createCorrelator } from '../src/correlator.ts';
import { observe, telemetryRows } from '../src/events/observations.ts';
import { DEFAULT_POLICY_PATH, loadPolicy } from '@repute/verdicts';

// Where a batch's cost goes, stage by stage, as CPU per event (this process plus the Redis
// server's own CPU from INFO): the whole handle() against its parts measured alone. No bus and
// no edge, so the figures hold still on a box shared with other work.
const BATCHES = Number(process.env['BENCH_BATCHES'] ?? 8);
const BATCH = 5000;
const redisUrl = await testRedisUrl();
const redis = new Redis(redisUrl);
const clickhouse = testClickHouse();
const hex = (n: number) => n.toString(16).padStart(64, '0');
let seq = 0;
function event(i: number): TelemetryEvent {
  return { v: 1, id: `e${++seq}`, sensor: `s${i % 97}`, host: `h${i % 1013}`, time: Date.now(), type: 'file_seen', file: { sha256: hex(i % 5000) }, ...(i % 4 === 0 ? { relations: { downloadedFrom: `http://host${i % 300}.example/f${i % 5000}` } } : {}) };
}
const batch = (): BusMessage[] => Array.from({ length: BATCH }, (_, i) => {
  const e = event(i);
  return { topic: 't', key: e.id, value: Buffer.from(encodeEnvelope('t1', Date.now(), e)), headers: {}, id: `${Date.now()}-${seq}` };
});
const redisCpu = async () => {
  const info = await redis.info('cpu');
  const n = (k: string) => Number(/\r?\n?used_cpu_(?:sys|user):/.test(info) ? (new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0) : 0);
  return (n('used_cpu_sys') + n('used_cpu_user')) * 1e6;
};

interface Stage { name: string; wallUs: number; nodeUs: number; redisUs: number }
const stages: Stage[] = [];
const only = process.env['BENCH_ONLY'];
async function measure(name: string, run: () => Promise<void>) {
  if (only !== undefined && !name.startsWith(only)) return;
  const inputs = Array.from({ length: BATCHES }, batch);
  await run.call(undefined);
  const r0 = await redisCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of inputs) await (run as unknown as (b: BusMessage[]) => Promise<void>)(b);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r = (await redisCpu()) - r0;
  const n = BATCHES * BATCH;
  stages.push({ name, wallUs: (wall * 1000) / n, nodeUs: (c.user + c.system) / n, redisUs: r / n });
}

const prefix = `${uniqueName('cost')}:`;
const database = uniqueName('cost');
await migrate(clickhouse, { database, retentionDays: 7 });
const policy = loadPolicy(DEFAULT_POLICY_PATH);
const correlator = createCorrelator({ redis, store: createReputationStore(redis, { prefix }), clickhouse, database, policy: () => policy, prefix });

try {
  const first = batch();
  const run = (f: (b: BusMessage[]) => Promise<void>) => (async (b?: BusMessage[]) => f(b ?? first)) as () => Promise<void>;
  await measure('decode + observe', run(async (b) => { for (const m of b) observe(decodeEnvelope(m.value), new Map()); }));
  const rowsOf = (b: BusMessage[]) => b.flatMap((m) => telemetryRows(observe(decodeEnvelope(m.value), new Map())));
  await measure('telemetry_raw insert (rows built)', run(async (b) => { await clickhouse.insert({ table: `${database}.telemetry_raw`, values: rowsOf(b), format: 'JSONEachRow' }); }));
  await measure('handle() whole batch', run(async (b) => { await correlator.handle(b); }));
} finally {
  await deleteKeysWithPrefix(redis, prefix);
  await dropDatabase(clickhouse, database);
}
if (process.env['BENCH_COMMANDSTATS'] !== undefined) console.log(await redis.info('commandstats'));
console.log(`${BATCHES} batches of ${BATCH}, ${cpus().length} cpus, node ${process.version}`);
console.table(stages.map((s) => ({ stage: s.name, 'wall µs/ev': s.wallUs.toFixed(1), 'node cpu µs/ev': s.nodeUs.toFixed(1), 'redis cpu µs/ev': s.redisUs.toFixed(1), 'ev/s': Math.round(1e6 / s.wallUs) })));
redis.disconnect();
await clickhouse.close();
removeTestClickHouseData();
await closeTestServices();
