import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AGGREGATE_DETECTIONS, AGGREGATE_EVENTS } from '@repute/analytics';
import { applyOverride, GRAPH_PREFIX, stateKeys } from '@repute/verdicts';
import type { IndicatorRef } from '../src/correlator.ts';
import { ref, startPipeline, until, type BusKind, type Pipeline } from './e2e-harness.ts';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
let seq = 0;
const run = hex(4);

function ev(over: Record<string, unknown>): Record<string, unknown> {
  return { id: `${run}-${++seq}`, sensor: 's1', host: 'h1', time: Date.now(), type: 'file_seen', ...over };
}

/** Three sensors in two tenants: two engines and a sandbox call the file malicious. */
async function convict(p: Pipeline, file: string, extra: Record<string, unknown> = {}): Promise<void> {
  await p.post([ev({ sensor: 's1', type: 'detection', file: { sha256: file }, verdict: { engine: 'av-one', category: 'malicious', name: 'Trojan.X' }, ...extra })], 't1');
  await p.post([ev({ sensor: 's2', type: 'detection', file: { sha256: file }, verdict: { engine: 'av-two', category: 'malicious' } })], 't2');
  await p.post([ev({ sensor: 's3', type: 'sandbox_report', file: { sha256: file }, verdict: { engine: 'sandbox', category: 'malicious' } })], 't2');
}

const verdictOf = async (p: Pipeline, path: string) => (await p.lookup(path)).verdict;

/**
 * The real path on one bus: events posted to ingest's HTTP API, through the bus, into the
 * correlator worker, out as records the edge's HTTP API serves. Run once per bus adapter.
 */
export function e2eSuite(kind: BusKind): void {
  test(`[${kind}] detections posted to ingest convict a file at the edge; propagation raises its URL, then the URL's domain`, async (t) => {
    const p = await startPipeline(t, kind);
    const file = hex(32);
    const host = `dl-${hex(4)}.example`;
    const url = `http://${host}/payload.exe`;
    await convict(p, file, { relations: { downloadedFrom: url } });

    // The detections may arrive in one batch or several (two are handled at once): the engines
    // alone already convict, and the sandbox's report then rewrites the record's reasons.
    await until('the file to be malicious at the edge, the sandbox among its reasons', async () => {
      const a = await p.lookup(`/v1/reputation/file/${file}`);
      return a.verdict === 'malicious' && a.reasons.some((r) => r.rule === 'sandbox.malicious');
    });
    const answer = await p.lookup(`/v1/reputation/file/${file}`);
    assert.deepEqual(answer.reasons.map((r) => r.rule), ['sandbox.malicious', 'engine.malicious', 'engine.malicious', 'consensus.tenants']);
    assert.deepEqual(answer.prevalence, { sensors: 3, tenants: 2 });

    const urlPath = `/v1/reputation/url?url=${encodeURIComponent(url)}`;
    await until('the URL to be raised by propagation', async () => (await verdictOf(p, urlPath)) === 'suspicious');
    const byUrl = await p.lookup(urlPath);
    assert.ok(byUrl.reasons.some((r) => r.rule === 'relation.downloaded_from' && r.detail === `file ${file}`), JSON.stringify(byUrl.reasons));
    // One download says little about the URL's host; a second machine downloading the convicted
    // file there convicts the URL (provenance), and the URL its host, dedicated to it.
    await p.post([ev({ sensor: 's4', type: 'file_seen', file: { sha256: file }, relations: { downloadedFrom: url } })], 't1');
    await until('the URL to be convicted by a second download', async () => (await verdictOf(p, urlPath)) === 'malicious');
    assert.ok((await p.lookup(urlPath)).reasons.some((r) => r.rule === 'provenance.delivered_convicted' && r.evidence === 2));
    await until('the domain to be convicted by its URL', async () => (await verdictOf(p, `/v1/reputation/domain/${host}`)) === 'malicious');
    const byDomain = await p.lookup(`/v1/reputation/domain/${host}`);
    assert.deepEqual(byDomain.reasons.map((r) => `${r.rule} ${r.detail}`).slice(0, 2).sort(), [`provenance.dedicated_host url ${url}`, `relation.hosted_on url ${url}`]);

    // The record is served before its log row is inserted: wait for the row.
    await until('the propagation to be logged', async () => (await p.query(`SELECT 1 FROM ${p.database}.verdict_log WHERE kind = 'domain'`)).length > 0);
    // The file may pass through `suspicious` on the way (one engine first), depending on batching.
    const log = await p.query<{ kind: string; verdict: string; source: string }>(
      `SELECT kind, verdict, source FROM ${p.database}.verdict_log ORDER BY kind, time`,
    );
    const fileLog = log.filter((r) => r.kind === 'file');
    assert.deepEqual(fileLog.at(-1), { kind: 'file', verdict: 'malicious', source: 'stream' });
    assert.ok(fileLog.every((r) => r.source === 'stream'));
    assert.deepEqual(log.filter((r) => r.kind !== 'file'), [
      { kind: 'domain', verdict: 'malicious', source: 'propagation' },
      { kind: 'url', verdict: 'suspicious', source: 'propagation' },
      { kind: 'url', verdict: 'malicious', source: 'propagation' },
    ]);

    // The next victim's build of the dropper, downloaded from the convicted URL once, has no
    // detection anywhere: what the URL distributes convicts it.
    const rebuilt = hex(32);
    await p.post([ev({ sensor: 's5', type: 'file_seen', file: { sha256: rebuilt }, relations: { downloadedFrom: url } })], 't1');
    await until('the new build to be convicted by its distribution URL', async () => (await verdictOf(p, `/v1/reputation/file/${rebuilt}`)) === 'malicious');
    assert.ok((await p.lookup(`/v1/reputation/file/${rebuilt}`)).reasons.some((r) => r.rule === 'provenance.downloaded_from_convicted' && r.detail === `url ${url}`));
  });

  test(`[${kind}] two tenants' sandboxes on two recipients' tokens convict the page: every token answers malicious`, async (t) => {
    const p = await startPipeline(t, kind);
    const page = `https://secure-${hex(4)}.example/login`;
    await p.post([ev({ sensor: 'sb1', type: 'sandbox_report', url: `${page}?e=${hex(6)}`, verdict: { engine: 'detonator', category: 'malicious', name: 'Phish' } })], 't1');
    await p.post([ev({ sensor: 'sb2', type: 'sandbox_report', url: `${page}?e=${hex(6)}`, verdict: { engine: 'detonator', category: 'malicious', name: 'Phish' } })], 't2');
    // A third recipient's token, never detonated: it answers through the page's record.
    const third = `/v1/reputation/url?url=${encodeURIComponent(`${page}?e=${hex(6)}`)}`;
    await until('a third token to answer malicious', async () => (await verdictOf(p, third)) === 'malicious');
    const answer = await p.lookup(`/v1/reputation/url?url=${encodeURIComponent(page)}`);
    assert.equal(answer.verdict, 'malicious');
    assert.ok(answer.reasons.some((r) => r.rule === 'consensus.tenants' && r.evidence === 2), JSON.stringify(answer.reasons));
    // On a listed file share the query names the file: two tenants' detections of two files
    // there say nothing of a third.
    const share = 'https://drive.google.com/uc';
    await p.post([ev({ sensor: 'sb1', type: 'sandbox_report', url: `${share}?id=${hex(6)}`, verdict: { engine: 'detonator', category: 'malicious' } })], 't1');
    await p.post([ev({ sensor: 'sb2', type: 'sandbox_report', url: `${share}?id=${hex(6)}`, verdict: { engine: 'detonator', category: 'malicious' } })], 't2');
    // One tenant's detonation of a token on another site raises that page to suspicious only.
    const other = `https://share-${hex(4)}.example/view`;
    await p.post([ev({ sensor: 'sb1', type: 'sandbox_report', url: `${other}?id=${hex(6)}`, verdict: { engine: 'detonator', category: 'malicious' } })], 't1');
    await until('the other page to be suspicious', async () => (await verdictOf(p, `/v1/reputation/url?url=${encodeURIComponent(other)}`)) === 'suspicious');
    await p.drained();
    assert.equal(await verdictOf(p, `/v1/reputation/url?url=${encodeURIComponent(`${share}?id=${hex(6)}`)}`), 'unknown');
    assert.equal(await verdictOf(p, `/v1/reputation/url?url=${encodeURIComponent(share)}`), 'unknown');
  });

  test(`[${kind}] an allow-listed domain is never convicted and passes nothing on`, async (t) => {
    const p = await startPipeline(t, kind);
    const ip = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
    for (const [i, tenant] of ['t1', 't2', 't3'].entries()) {
      await p.post([
        ev({ sensor: `s${i}`, type: 'detection', domain: 'google.com', verdict: { engine: `av${i}`, category: 'malicious' } }),
        ev({ sensor: `s${i}`, type: 'sandbox_report', domain: 'google.com', verdict: { engine: `sb${i}`, category: 'malicious' } }),
      ], tenant);
    }
    await p.post([ev({ type: 'dns_resolve', domain: 'google.com', relations: { resolvedIps: [ip] } })]);
    // A convicted file downloaded from the allow-listed host: its URL may be raised, the host not.
    const file = hex(32);
    const url = `https://www.google.com/${hex(4)}/tool.exe`;
    await convict(p, file, { relations: { downloadedFrom: url } });
    await until('the URL to be raised', async () => (await verdictOf(p, `/v1/reputation/url?url=${encodeURIComponent(url)}`)) === 'suspicious');
    await p.drained();

    assert.equal(await verdictOf(p, '/v1/reputation/domain/google.com'), 'unknown');
    assert.equal(await verdictOf(p, '/v1/reputation/domain/www.google.com'), 'unknown');
    assert.equal(await verdictOf(p, `/v1/reputation/ip/${ip}`), 'unknown');
    const { assessment, decoded } = await p.worker.correlator.inspect(ref('domain', 'google.com'));
    assert.equal(new Set(decoded.state.words.map((w) => `${w.tenant}/${w.engine}`)).size, 6, 'the detections were counted');
    assert.equal(assessment.verdict, 'unknown');
    assert.equal(assessment.propagates, false);
    assert.ok(assessment.reasons.some((r) => r.rule === 'allow.tranco10k'));
    const graphFields = async (r: IndicatorRef) => Object.keys(await p.redis.hgetall(stateKeys(p.prefix, r.key).state)).filter((f) => f.startsWith(GRAPH_PREFIX));
    assert.deepEqual(await graphFields(ref('domain', 'www.google.com')), []);
    assert.deepEqual(await graphFields(ref('ip', ip)), []);
    const logged = await p.query<{ n: string }>(`SELECT count() AS n FROM ${p.database}.verdict_log WHERE kind IN ('domain', 'ip')`);
    assert.equal(Number(logged[0]?.n), 0);
  });

  test(`[${kind}] an analyst override wins over later evidence and is logged`, async (t) => {
    const p = await startPipeline(t, kind);
    const file = hex(32);
    await convict(p, file);
    await until('the file to be malicious', async () => (await verdictOf(p, `/v1/reputation/file/${file}`)) === 'malicious');
    // Every convicting event handled, so the log below has one stream row to show.
    await p.drained();

    const w = p.worker;
    await applyOverride(
      { redis: w.redis, clickhouse: w.clickhouse, database: p.database, rescorer: w.correlator, prefix: p.prefix },
      ref('file', file),
      { verdict: 'clean', analyst: 'ana', tenant: 't1', scope: 'global', comment: 'vendor tool' },
    );
    await until('the override to be served', async () => (await verdictOf(p, `/v1/reputation/file/${file}`)) === 'clean');
    // A tenant's own override answers that tenant's lookups and nobody else's.
    const deps = { redis: w.redis, clickhouse: w.clickhouse, database: p.database, rescorer: w.correlator, prefix: p.prefix };
    await applyOverride(deps, ref('file', file), { verdict: 'malicious', analyst: 'tina', tenant: 't2', scope: 'tenant', comment: 'our IR says so' });
    await until('t2 to be answered by its own override', async () => (await p.lookup(`/v1/reputation/file/${file}`, 't2')).verdict === 'malicious');
    assert.equal((await p.lookup(`/v1/reputation/file/${file}`, 't1')).verdict, 'clean');
    assert.equal(await verdictOf(p, `/v1/reputation/file/${file}`), 'clean');
    await applyOverride(deps, ref('file', file), null, { analyst: 'tina', tenant: 't2', scope: 'tenant', comment: 'lifted' });
    await until('t2 to be answered by the global override again', async () => (await p.lookup(`/v1/reputation/file/${file}`, 't2')).verdict === 'clean');
    // More malicious evidence arrives; the override still wins.
    await p.post([ev({ sensor: 's4', type: 'sandbox_report', file: { sha256: file }, verdict: { engine: 'sandbox-2', category: 'malicious' } })], 't3');
    await p.drained();
    assert.equal(await p.applied(ref('file', file)), 4);
    const answer = await p.lookup(`/v1/reputation/file/${file}`);
    assert.equal(answer.verdict, 'clean');
    // Who overrode and why stay in the audit: every lookup returns the reasons.
    assert.deepEqual(answer.reasons, [{ rule: 'override', weight: 0, evidence: 1 }]);

    const log = await p.query<{ verdict: string; source: string }>(`SELECT verdict, source FROM ${p.database}.verdict_log WHERE digest = '${file}' ORDER BY time`);
    assert.deepEqual(log.slice(-2), [{ verdict: 'malicious', source: 'stream' }, { verdict: 'clean', source: 'override' }]);
    // The tenant's override and its lift are audited beside the global one, and logged no global change.
    const audit = await p.query<{ analyst: string; verdict: string; scope: string }>(`SELECT analyst, verdict, scope FROM ${p.database}.overrides WHERE digest = '${file}' ORDER BY version`);
    assert.deepEqual(audit, [{ analyst: 'ana', verdict: 'clean', scope: 'global' }, { analyst: 'tina', verdict: 'malicious', scope: 'tenant' }, { analyst: 'tina', verdict: '', scope: 'tenant' }]);
  });

  test(`[${kind}] a replayed duplicate changes no count, in Redis or in ClickHouse`, async (t) => {
    const p = await startPipeline(t, kind);
    const file = hex(32);
    const batch = [1, 2, 3, 4, 5].map((i) => ev({ sensor: `s${i}`, file: { sha256: file } }));
    batch.push(ev({ sensor: 's1', type: 'detection', file: { sha256: file }, verdict: { engine: 'av-one', category: 'suspicious' } }));
    await p.post(batch);
    await p.drained();
    assert.equal(await p.applied(ref('file', file)), 6);

    assert.equal((await p.post(batch)).accepted, 6, 'ingest accepts the replay; the correlator must absorb it');
    await p.post(batch.slice(0, 2), 't2');
    await p.drained();
    assert.equal(await p.applied(ref('file', file)), 6);
    const k = stateKeys(p.prefix, ref('file', file).key);
    assert.equal(await p.redis.pfcount(k.sensors), 5);
    assert.equal(await p.redis.pfcount(k.tenants), 1);
    // One word, its count not grown by the replay: `<category>|<time>|<count>|<trusted>`.
    const words = Object.entries(await p.redis.hgetall(k.state)).filter(([f]) => f.startsWith('w|'));
    assert.deepEqual(words.map(([f, v]) => [f, v.split('|')[0], v.split('|')[2]]), [['w|engine|t1|av-one', 'suspicious', '1']]);
    const rows = await p.query<{ n: string }>(`SELECT count() AS n FROM ${p.database}.telemetry_raw FINAL WHERE digest = '${file}'`);
    assert.equal(Number(rows[0]?.n), 6);
    const [hourly] = await p.query<{ events: string; detections: Record<string, string> }>(
      `SELECT ${AGGREGATE_EVENTS} AS events, ${AGGREGATE_DETECTIONS} AS detections FROM ${p.database}.indicator_hourly WHERE kind = 'file' AND digest = '${ref('file', file).digest}'`,
    );
    const perEngine = Object.entries(hourly?.detections ?? {}).map(([engine, n]) => [engine, Number(n)]);
    assert.deepEqual([Number(hourly?.events), perEngine], [6, [['av-one', 1]]], 'the hourly aggregate counts each event once');
  });

  test(`[${kind}] a correlator that dies mid-stream is replaced without losing or double-counting an event`, async (t) => {
    // Small batches, few at once (Redis Streams; Kafka, per partition): the stream is published
    // first, so the first correlator has plenty left when it dies.
    const p = await startPipeline(t, kind, { batchSize: 40, eventsInFlight: 80 });
    await p.worker.close();
    const files = Array.from({ length: 40 }, () => hex(32));
    const domain = `cdn-${hex(4)}.example`;
    const SENSORS = 30;
    const events = files.flatMap((file, f) => Array.from({ length: SENSORS }, (_, s) => ({
      tenant: `t${(s % 3) + 1}`,
      event: ev({ sensor: `s${s}`, host: `h${s}`, file: { sha256: file }, relations: { downloadedFrom: `http://${domain}/f${f}.bin` } }),
    })));
    // Interleaved so that every batch touches many files.
    events.sort(() => Math.random() - 0.5);
    for (const tenant of ['t1', 't2', 't3']) {
      const mine = events.filter((e) => e.tenant === tenant).map((e) => e.event);
      for (let i = 0; i < mine.length; i += 120) await p.post(mine.slice(i, i + 120), tenant);
    }
    const total = events.length;
    await p.startCorrelator();
    await until('the first correlator to be part-way through', async () => {
      const lag = await p.bus.lag(p.topic, p.group);
      return lag < total - 100;
    });
    await p.worker.abort();
    const done = await p.bus.lag(p.topic, p.group);
    assert.ok(done > 0, 'the correlator was stopped before the end of the stream');

    await p.startCorrelator();
    await p.drained(60_000);
    for (const file of files) {
      const r = ref('file', file);
      assert.equal(await p.applied(r), SENSORS, `events applied once each to ${file}`);
      assert.equal(await p.redis.pfcount(stateKeys(p.prefix, r.key).sensors), SENSORS);
      assert.equal(await p.redis.pfcount(stateKeys(p.prefix, r.key).tenants), 3);
    }
    assert.equal(await p.applied(ref('domain', domain)), total);
    const [final] = await p.query<{ rows: string; events: string }>(
      `SELECT count() AS rows, uniqExact(event_id) AS events FROM ${p.database}.telemetry_raw FINAL`,
    );
    // Each event mentions its file, its URL and the domain.
    assert.equal(Number(final?.rows), total * 3);
    assert.equal(Number(final?.events), total);
    const [hourly] = await p.query<{ events: string }>(`SELECT ${AGGREGATE_EVENTS} AS events FROM ${p.database}.indicator_hourly WHERE kind = 'domain'`);
    assert.equal(Number(hourly?.events), total, 'the hourly aggregate counts each event once, redelivered or not');
    const [raw] = await p.query<{ rows: string }>(`SELECT count() AS rows FROM ${p.database}.telemetry_raw`);
    console.log(`# ${kind}: ${Number(raw?.rows) - total * 3} raw rows redelivered after the crash`);
    const edgeSeen = await p.lookup(`/v1/reputation/file/${files[0]}`);
    assert.equal(edgeSeen.verdict, 'unknown', 'plain sightings convict nothing');
  });
}
