import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { migrate, TELEMETRY_COLUMNS, telemetryTuple, type TelemetryRow } from '@repute/analytics';
import { dropDatabase, removeTestClickHouseData, testClickHouse } from '@repute/analytics/testkit';
import { waitFor } from '@repute/infra';
import { closeTestServices, deleteKeysWithPrefix, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { estimateReliability, type ReliabilityOptions, type SourceReliability } from '../src/reliability/estimate-reliability.ts';
import { estimateReporters } from '../src/reliability/estimate-reporters.ts';
import { startReliabilityJob } from '../src/reliability/reliability-job.ts';
import { loadReliability, reliabilityKey, saveReliability } from '../src/reliability/reliability-store.ts';

after(async () => {
  await closeTestServices();
  removeTestClickHouseData();
});

const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000;
const T0 = NOW - 2 * 86_400_000;
const PRIORS: ReliabilityOptions['priors'] = (source) => (source === 'sandbox' ? { tpr: 0.9, fpr: 0.01 } : { tpr: 0.8, fpr: 0.01 });

let seq = 0;
const digest = (label: string) => createHash('sha256').update(label).digest('hex');

/** The subject row of an event: a word when `word` is given, a bare sighting otherwise. */
function row(file: string, tenant: string, sensor: string, time: number, word?: { source: string; engine: string; category: string }): TelemetryRow {
  const detects = word !== undefined && word.category !== 'clean';
  return {
    event_id: `ev-${++seq}`, tenant, sensor, host: sensor, time, received_at: time,
    event_type: word?.source === 'sandbox' ? 'sandbox_report' : word !== undefined ? 'detection' : 'file_seen',
    role: 'subject', kind: 'file', digest: file, value: file,
    engines: detects && word.source === 'engine' ? [word.engine] : [], detection_names: [],
    sandbox: word?.source === 'sandbox' ? word.category : '', signed: 0, rel_type: [], rel_kind: [], rel_digest: [], rel_value: [],
    ...(word !== undefined ? { verdict_source: word.source, verdict_engine: word.engine, verdict_category: word.category } : {}),
  };
}

/**
 * A few hundred files of known truth: 200 malicious (rare), 120 benign and popular (six tenants,
 * ten sensors each), 120 benign and rare; 20 more that only `av-lonely` judges. Who detects what
 * follows fixed residues of the index, so each engine's true rates are known exactly:
 * `av-good` 90 % TPR, no false positive; `av-other` 80 %, none; `detonator` (sandbox) 95 %,
 * none; `av-noisy` 85 %, and it flags 40 % of the popular benign files and 5 % of the rare ones.
 */
function dataset(options: { clone?: boolean } = {}): { rows: TelemetryRow[]; popular: string[] } {
  const rows: TelemetryRow[] = [];
  const popular: string[] = [];
  const say = (file: string, engine: string, detects: boolean, source = 'engine', detection = engine === 'av-other' ? 'suspicious' : 'malicious') =>
    rows.push(row(file, 't1', 't1-s1', T0 + rows.length * 1000, { source, engine, category: detects ? detection : 'clean' }));
  for (let i = 0; i < 200; i++) {
    // av-good misses by the last digit of i, the others by the tens: whatever set of files the
    // others settle, av-good detects exactly nine in ten of it.
    const file = digest(`malicious-${i}`);
    const tens = Math.floor(i / 10);
    say(file, 'av-good', i % 10 !== 0);
    say(file, 'av-other', tens % 5 !== 1);
    say(file, 'detonator', tens !== 3, 'sandbox');
    say(file, 'av-noisy', ![2, 7, 12].includes(i % 20));
    if (options.clone === true) say(file, 'av-clone', ![2, 7, 12].includes(i % 20));
  }
  for (let i = 0; i < 120; i++) {
    const file = digest(`popular-${i}`);
    popular.push(file);
    for (let t = 1; t <= 6; t++) for (let s = 1; s <= 10; s++) rows.push(row(file, `t${t}`, `t${t}-s${s}`, T0 + i * 1000));
    say(file, 'av-good', false);
    say(file, 'av-other', false);
    say(file, 'detonator', false, 'sandbox');
    // Half its false positives on popular files are `pua` (adware-style), a detection all the same.
    say(file, 'av-noisy', i % 5 < 2, 'engine', i % 5 === 0 ? 'pua' : 'malicious');
    if (options.clone === true) say(file, 'av-clone', i % 5 < 2);
  }
  for (let i = 0; i < 120; i++) {
    const file = digest(`rare-${i}`);
    say(file, 'av-good', false);
    say(file, 'av-other', false);
    say(file, 'detonator', false, 'sandbox');
    say(file, 'av-noisy', i % 20 === 4);
    if (options.clone === true) say(file, 'av-clone', i % 20 === 4);
  }
  for (let i = 0; i < 20; i++) say(digest(`lonely-${i}`), 'av-lonely', i % 2 === 0);
  return { rows, popular };
}

async function setup(t: TestContext) {
  const clickhouse = testClickHouse();
  const database = uniqueName('reliability');
  await migrate(clickhouse, { database, retentionDays: 30 });
  t.after(async () => {
    await dropDatabase(clickhouse, database);
    await clickhouse.close();
  });
  const insert = async (rows: TelemetryRow[]) => {
    await clickhouse.insert({ table: `${database}.telemetry_raw`, values: rows.map(telemetryTuple), format: 'JSONCompactEachRow', columns: [...TELEMETRY_COLUMNS] });
  };
  const estimate = async (options: Partial<ReliabilityOptions> = {}) => {
    const started = performance.now();
    const result = await estimateReliability(clickhouse, database, { priors: PRIORS, now: NOW, ...options });
    return { ms: performance.now() - started, of: (engine: string) => result.find((r) => r.engine === engine)!, result };
  };
  return { clickhouse, database, insert, estimate };
}

test('a noisy engine is measured noisy, a good one near its true rates, a source with nothing settled keeps its prior', async (t) => {
  const { insert, estimate } = await setup(t);
  const { rows } = dataset();
  await insert(rows);
  const { of, ms, result } = await estimate();
  t.diagnostic(`estimate over ${rows.length} rows: ${ms.toFixed(0)} ms`);
  t.diagnostic(JSON.stringify(result));

  assert.deepEqual(result.map((r) => `${r.source}|${r.engine}`), ['engine|av-good', 'engine|av-lonely', 'engine|av-noisy', 'engine|av-other', 'sandbox|detonator']);
  const good = of('av-good');
  const noisy = of('av-noisy');
  // Its true TPR is 0.9; the prior (0.8, 20 observations) pulls a little on 150 settled files.
  assert.ok(Math.abs(good.tpr - 0.9) < 0.03, `good TPR ${good.tpr}`);
  assert.ok(good.labelledMalicious >= 140, `good labelled malicious ${good.labelledMalicious}`);
  // Settled benign: the popular files no other engine flagged (120, less av-noisy's 48 for the
  // others). Three clean words on a rare file are not enough (see benignLogLr).
  assert.equal(good.labelledBenign, 72);
  assert.equal(noisy.labelledBenign, 120);
  assert.ok(good.fpr < 0.005, `good FPR ${good.fpr}`);
  // True FPR on the popular benign files: 48 / 120 = 0.4 (24 of them `pua`); the prior (0.01, 20) pulls a little.
  assert.ok(noisy.fpr > 0.3 && noisy.fpr < 0.45, `noisy FPR ${noisy.fpr}`);
  assert.ok(noisy.fpr > 30 * good.fpr);
  assert.ok(Math.abs(noisy.tpr - 0.85) < 0.06, `noisy TPR ${noisy.tpr}`);
  // `suspicious` counts as a detection: av-other's 80 % TPR (all its detections are `suspicious`).
  assert.ok(Math.abs(of('av-other').tpr - 0.8) < 0.05, `other TPR ${of('av-other').tpr}`);
  assert.ok(of('detonator').tpr > 0.88, `sandbox TPR ${of('detonator').tpr}`);
  // Nobody else judged av-lonely's files and none is popular: nothing settled, the prior stands.
  assert.deepEqual(of('av-lonely'), { source: 'engine', engine: 'av-lonely', tpr: 0.8, fpr: 0.01, labelledMalicious: 0, labelledBenign: 0 });

  // The second pass discounts the noisy engine in everyone else's labels; one pass is the priors alone.
  const once = await estimate({ iterations: 1 });
  assert.ok(once.of('av-noisy').fpr > 0.3);
  // Words outside the window are not read.
  assert.deepEqual((await estimate({ now: T0 - 86_400_000 })).result, []);
});

test('with no data the priors stand: no estimate at all, and a source whose files nobody settles keeps its prior', async (t) => {
  const { insert, estimate } = await setup(t);
  assert.deepEqual((await estimate()).result, []);
  // One engine alone, on rare files: no other family to settle them.
  await insert([row(digest('x'), 't1', 's1', T0, { source: 'webfilter', engine: 'wf', category: 'malicious' }), row(digest('y'), 't1', 's1', T0, { source: 'webfilter', engine: 'wf', category: 'clean' })]);
  const priors = (source: string, engine: string) => (source === 'webfilter' && engine === 'wf' ? { tpr: 0.6, fpr: 0.002 } : { tpr: 0.5, fpr: 0.5 });
  assert.deepEqual((await estimate({ priors })).result, [{ source: 'webfilter', engine: 'wf', tpr: 0.6, fpr: 0.002, labelledMalicious: 0, labelledBenign: 0 }]);
});

test('an engine\'s latest word per tenant counts: a later clean from the same engine and tenant retracts its detection', async (t) => {
  const { insert, estimate } = await setup(t);
  const { rows, popular } = dataset();
  await insert(rows);
  const flagged = popular.slice(0, 60);
  const later = T0 + 86_400_000;
  // av-good flags 60 popular benign files in tenant t2 (t1's word on them stays clean).
  await insert(flagged.map((f, i) => row(f, 't2', 't2-s1', later + i, { source: 'engine', engine: 'av-good', category: 'malicious' })));
  const flagging = (await estimate()).of('av-good');
  assert.ok(flagging.fpr > 0.05, `FPR while flagging ${flagging.fpr}`);

  // A clean word from another tenant leaves t2's detection standing.
  await insert(flagged.map((f, i) => row(f, 't3', 't3-s1', later + 60_000 + i, { source: 'engine', engine: 'av-good', category: 'clean' })));
  const elsewhere = (await estimate()).of('av-good');
  t.diagnostic(`av-good FPR with a clean word from another tenant: ${elsewhere.fpr.toFixed(4)}`);
  assert.ok(elsewhere.fpr > 0.03);

  // The same engine in the same tenant says clean later: retracted. A stale detection inserted
  // after it (older event time) does not bring the detection back.
  await insert(flagged.map((f, i) => row(f, 't2', 't2-s1', later + 120_000 + i, { source: 'engine', engine: 'av-good', category: 'clean' })));
  await insert(flagged.map((f, i) => row(f, 't2', 't2-s1', later - 60_000 + i, { source: 'engine', engine: 'av-good', category: 'malicious' })));
  const retracted = (await estimate()).of('av-good');
  t.diagnostic(`av-good FPR: flagging ${flagging.fpr.toFixed(4)}, after the retraction ${retracted.fpr.toFixed(4)}`);
  assert.ok(retracted.fpr < 0.005, `FPR after the retraction ${retracted.fpr}`);
});

test('an engine family counts once: a clone cannot hide its original\'s false positives', async (t) => {
  const { insert, estimate } = await setup(t);
  await insert(dataset({ clone: true }).rows);
  // As separate families, each one's false positives are "confirmed" by the other: unsettled.
  const apart = (await estimate()).of('av-noisy');
  const family = (source: string, engine: string) => (engine === 'av-clone' ? 'engine|av-noisy' : `${source}|${engine}`);
  const together = (await estimate({ family })).of('av-noisy');
  t.diagnostic(`av-noisy FPR: clone as its own family ${apart.fpr.toFixed(4)}, in av-noisy's family ${together.fpr.toFixed(4)}`);
  assert.ok(apart.fpr < 0.05, `apart ${apart.fpr}`);
  assert.ok(together.fpr > 0.3, `together ${together.fpr}`);
});

async function redisSetup(t: TestContext) {
  const redis = new Redis(await testRedisUrl());
  const prefix = `${uniqueName('reliability')}:`;
  t.after(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });
  return { redis, prefix };
}

test('a tenant earns a record as a reporter by early reports that two others confirm; copying them or accusing the popular earns none', async (t) => {
  const { insert, database, clickhouse } = await setup(t);
  const rows: TelemetryRow[] = [];
  const av = { source: 'engine', engine: 'av', category: 'malicious' };
  for (let i = 0; i < 12; i++) {
    const file = digest(`campaign-${i}`);
    // t1 first, t2 next, t3 third; t4 only once the three had spoken.
    rows.push(row(file, 't1', 't1-s1', T0 + i * 60_000, av), row(file, 't2', 't2-s1', T0 + i * 60_000 + 10_000, av));
    rows.push(row(file, 't3', 't3-s1', T0 + i * 60_000 + 20_000, av), row(file, 't4', 't4-s1', T0 + i * 60_000 + 30_000, av));
  }
  for (let i = 0; i < 10; i++) {
    // Popular and benign: seen by six tenants; only the attacker accuses them, from sensors it invents.
    const file = digest(`popular-${i}`);
    for (let tn = 1; tn <= 6; tn++) rows.push(row(file, `t${tn}`, `t${tn}-s1`, T0 + i * 1000));
    rows.push(row(file, 'mallory', `mallory-fake-${i}`, T0 + i * 1000 + 500, av));
  }
  // A clean word earns nothing.
  rows.push(row(digest('campaign-0'), 't5', 't5-s1', T0, { ...av, category: 'clean' }));
  await insert(rows);
  const records = await estimateReporters(clickhouse, database, { now: NOW });
  assert.deepEqual(records, [
    { tenant: 'mallory', confirmed: 0, contradicted: 10 },
    { tenant: 't1', confirmed: 12, contradicted: 0 },
    { tenant: 't2', confirmed: 12, contradicted: 0 },
    { tenant: 't3', confirmed: 0, contradicted: 0 },
    { tenant: 't4', confirmed: 0, contradicted: 0 },
  ]);
  // Outside the window nothing counts.
  assert.deepEqual(await estimateReporters(clickhouse, database, { now: NOW, windowDays: 1 }), []);
});

const estimateOf = (engine: string, tpr: number, fpr: number): SourceReliability => ({ source: 'engine', engine, tpr, fpr, labelledMalicious: 10, labelledBenign: 20 });

test('saved estimates load back by source|engine; a save replaces the previous one whole', async (t) => {
  const { redis, prefix } = await redisSetup(t);
  assert.equal((await loadReliability(redis, prefix)).size, 0);
  await saveReliability(redis, prefix, [estimateOf('a', 0.9, 0.001), estimateOf('b', 0.7, 0.2)], 1234);
  assert.deepEqual(await loadReliability(redis, prefix), new Map([['engine|a', { tpr: 0.9, fpr: 0.001, labelledMalicious: 10, labelledBenign: 20 }], ['engine|b', { tpr: 0.7, fpr: 0.2, labelledMalicious: 10, labelledBenign: 20 }]]));
  assert.deepEqual(JSON.parse((await redis.hget(reliabilityKey(prefix), 'engine|a'))!), { tpr: 0.9, fpr: 0.001, labelledMalicious: 10, labelledBenign: 20, at: 1234 });
  await saveReliability(redis, prefix, [estimateOf('b', 0.75, 0.1)]);
  assert.deepEqual(await loadReliability(redis, prefix), new Map([['engine|b', { tpr: 0.75, fpr: 0.1, labelledMalicious: 10, labelledBenign: 20 }]]));
  // A field that is not rates is skipped, not fatal.
  await redis.hset(reliabilityKey(prefix), 'engine|c', 'not json', 'engine|d', JSON.stringify({ tpr: 2, fpr: 0 }));
  assert.deepEqual([...(await loadReliability(redis, prefix)).keys()], ['engine|b']);
  await saveReliability(redis, prefix, []);
  assert.equal(await redis.exists(reliabilityKey(prefix)), 0);
});

test('the job starts from the saved rates, renews them, and keeps the last good ones when an estimate fails', async (t) => {
  const { insert, clickhouse, database } = await setup(t);
  const { redis, prefix } = await redisSetup(t);
  await insert(dataset().rows);
  await saveReliability(redis, prefix, [estimateOf('av-noisy', 0.8, 0.01)]);
  const errors: unknown[] = [];
  const log = { info: () => {}, error: (obj: object) => errors.push(obj) };
  const job = await startReliabilityJob({ clickhouse, database, redis, prefix, priors: PRIORS, log, clock: () => NOW });
  t.after(() => job.close());
  assert.deepEqual(job.current(), new Map([['engine|av-noisy', { tpr: 0.8, fpr: 0.01, labelledMalicious: 10, labelledBenign: 20 }]]));

  await job.runOnce();
  assert.deepEqual(errors, []);
  const measured = job.current();
  assert.ok(measured.get('engine|av-noisy')!.fpr > 0.3);
  // Five sources, and the one tenant that gave words as a reporter.
  assert.equal(measured.size, 6);
  assert.ok(measured.has('reporter|t1'));
  assert.deepEqual(await loadReliability(redis, prefix), measured);

  // The database goes away: the run fails, is logged, and the rates in force stay.
  const broken = await startReliabilityJob({ clickhouse, database: `${database}_gone`, redis, prefix, priors: PRIORS, log, clock: () => NOW });
  t.after(() => broken.close());
  assert.deepEqual(broken.current(), measured);
  await broken.runOnce();
  assert.equal(errors.length, 1);
  assert.deepEqual(broken.current(), measured);
  assert.deepEqual(await loadReliability(redis, prefix), measured);
});

test('a job with nothing saved estimates at once; another instance on the same prefix starts from what it saved', async (t) => {
  const { insert, clickhouse, database } = await setup(t);
  const { redis, prefix } = await redisSetup(t);
  await insert(dataset().rows);
  const log = { info: () => {}, error: (obj: object) => assert.fail(JSON.stringify(obj)) };
  const first = await startReliabilityJob({ clickhouse, database, redis, prefix, priors: PRIORS, log, clock: () => NOW });
  t.after(() => first.close());
  assert.equal(first.current().size, 0);
  await waitFor('the first estimate', async () => ((await loadReliability(redis, prefix)).size === 6 ? true : undefined), 30_000);
  assert.equal(first.current().size, 6);
  const second = await startReliabilityJob({ clickhouse, database, redis, prefix, priors: PRIORS, log, clock: () => NOW });
  t.after(() => second.close());
  assert.deepEqual(second.current(), first.current());
});
