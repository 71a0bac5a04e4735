import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { uniqueName } from '@repute/infra/testkit';
import { AnalyticsError, createClickHouse, insertEncoded, ipcChannel, serveEngine, type EngineChannel } from '../src/index.ts';
import { channelPair } from './channel-pair.ts';

// The engine this test process serves to its forwarding clients; one data path per process.
const DATA_DIR = join(tmpdir(), `repute-forwarding-${process.pid}`);
const CHILD_DATA_DIR = join(tmpdir(), `repute-forwarding-child-${process.pid}`);
after(() => {
  rmSync(DATA_DIR, { recursive: true, force: true });
  rmSync(CHILD_DATA_DIR, { recursive: true, force: true });
});

function forwarded(channel: () => EngineChannel | undefined) {
  return createClickHouse({ CLICKHOUSE_ENGINE_CHANNEL: channel });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<AnalyticsError> {
  let caught: unknown;
  await promise.catch((err: unknown) => { caught = err; });
  assert.ok(caught instanceof AnalyticsError, `expected AnalyticsError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

test('every call of the client crosses the channel and answers as the embedded engine would', async (t) => {
  const pair = channelPair();
  const server = serveEngine({ channel: pair.server, dataDir: DATA_DIR });
  const client = forwarded(() => pair.client);
  const db = uniqueName('fwd');
  t.after(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
    await client.close();
    await server.close();
  });

  assert.equal((await client.ping()).success, true);
  await client.command({ query: `CREATE DATABASE ${db}` });
  await client.command({ query: `CREATE TABLE ${db}.t (indicator String, n UInt32) ENGINE = MergeTree ORDER BY indicator` });
  // Objects become a stream of JSON lines in the client; the connection drains it into one Buffer.
  await client.insert({ table: `${db}.t`, values: [{ indicator: 'a', n: 1 }, { indicator: 'b', n: 2 }], format: 'JSONEachRow' });
  await insertEncoded(client, { table: `${db}.t`, columns: ['indicator', 'n'], body: Buffer.from('["c",3]\n["a",4]\n') });

  const result = await client.query({ query: `SELECT indicator, sum(n) AS n FROM ${db}.t WHERE indicator != {skip:String} GROUP BY indicator ORDER BY indicator`, query_params: { skip: 'b' }, format: 'JSONEachRow' });
  // UInt64 is a string from a server and a number from the embedded engine.
  const rows = await result.json<{ indicator: string; n: string | number }>();
  assert.deepEqual(rows.map((r) => [r.indicator, Number(r.n)]), [['a', 5], ['c', 3]]);
  const text = await (await client.query({ query: `SELECT count() FROM ${db}.t`, format: 'TabSeparated' })).text();
  assert.equal(text, '4\n');
  const exec = await client.exec({ query: `SELECT 1 FORMAT TabSeparated` });
  let body = '';
  for await (const chunk of exec.stream) body += String(chunk);
  assert.equal(body, '1\n');

  // ClickHouse's error code and type survive the crossing: callers match on them.
  const failed = await client.query({ query: `SELECT * FROM ${db}.missing` }).catch((err: unknown) => err);
  assert.equal((failed as { code?: string }).code, '60');
  assert.equal((failed as { type?: string }).type, 'UNKNOWN_TABLE');
});

test('two clients on one channel each get their own answers', async (t) => {
  const pair = channelPair();
  const server = serveEngine({ channel: pair.server, dataDir: DATA_DIR });
  const one = forwarded(() => pair.client);
  const two = forwarded(() => pair.client);
  t.after(async () => {
    await one.close();
    await two.close();
    await server.close();
  });
  const answers = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => {
    const client = i % 2 === 0 ? one : two;
    return await (await client.query({ query: `SELECT ${i} AS i`, format: 'JSONEachRow' })).json<{ i: number }>();
  }));
  assert.deepEqual(answers.map((rows) => rows[0]?.i), [0, 1, 2, 3, 4, 5]);
});

test('a call in flight fails with a retriable AnalyticsError when the channel closes; the next channel serves the next call', async (t) => {
  // A channel whose far end never answers: the call stays in flight until it closes.
  const silent = channelPair();
  let current: EngineChannel | undefined = silent.client;
  const client = forwarded(() => current);
  t.after(async () => { await client.close(); });

  const inFlight = client.query({ query: 'SELECT 1' });
  await new Promise((r) => setImmediate(r));
  silent.close();
  const closed = await rejectsWith(inFlight, 'REPUTE_ANALYTICS_ENGINE_CHANNEL_CLOSED');
  assert.equal(closed.retriable, true);

  // Between processes there is no channel: calls fail at once, and ping says so without throwing.
  current = undefined;
  await rejectsWith(client.query({ query: 'SELECT 1' }), 'REPUTE_ANALYTICS_ENGINE_UNREACHABLE');
  const ping = await client.ping();
  assert.equal(ping.success, false);

  const next = channelPair();
  const server = serveEngine({ channel: next.server, dataDir: DATA_DIR });
  t.after(async () => { await server.close(); });
  current = next.client;
  assert.equal(await (await client.query({ query: 'SELECT 7', format: 'TabSeparated' })).text(), '7\n');
});

test('an aborted call is cancelled on the far end and rejects at once', async (t) => {
  const silent = channelPair();
  const client = forwarded(() => silent.client);
  t.after(async () => {
    await client.close();
    silent.close();
  });
  const abort = new AbortController();
  const call = client.query({ query: 'SELECT 1', abort_signal: abort.signal });
  await new Promise((r) => setImmediate(r));
  abort.abort(new Error('gave up'));
  await assert.rejects(call, /gave up/);
  const ops = silent.sent.map((m) => (m as { op: string }).op);
  assert.deepEqual(ops, ['query', 'cancel']);
});

test('a closed client fails its calls in flight and refuses new ones', async () => {
  const silent = channelPair();
  const client = forwarded(() => silent.client);
  const call = client.command({ query: 'SELECT 1' });
  await new Promise((r) => setImmediate(r));
  await client.close();
  await rejectsWith(call, 'REPUTE_ANALYTICS_CONNECTION_CLOSED');
  silent.close();
});

async function forkEngine(): Promise<ChildProcess> {
  const child = fork(new URL('./fixtures/engine-process.ts', import.meta.url), [CHILD_DATA_DIR], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the engine process exited with ${code}`)));
  });
  return child;
}

test('over a real IPC channel: Buffers cross, a killed process fails the call in flight, a new one takes over', async (t) => {
  let child = await forkEngine();
  const children = [child];
  t.after(() => { for (const c of children) c.kill('SIGKILL'); });
  const channels = new WeakMap<ChildProcess, EngineChannel>();
  const client = forwarded(() => {
    if (!child.connected) return undefined;
    if (!channels.has(child)) channels.set(child, ipcChannel(child));
    return channels.get(child);
  });
  t.after(async () => { await client.close(); });

  const db = uniqueName('fwd_ipc');
  await client.command({ query: `CREATE DATABASE ${db}` });
  await client.command({ query: `CREATE TABLE ${db}.t (s String) ENGINE = MergeTree ORDER BY s` });
  const big = 'x'.repeat(300_000);
  await client.insert({ table: `${db}.t`, values: [{ s: big }, { s: 'é' }], format: 'JSONEachRow' });
  const lengths = await (await client.query({ query: `SELECT length(s) AS n FROM ${db}.t ORDER BY n`, format: 'JSONEachRow' })).json<{ n: number | string }>();
  assert.deepEqual(lengths.map((r) => Number(r.n)), [2, 300_000]);

  // sleepEachRow keeps the call in flight long enough to kill the process under it.
  const slow = client.query({ query: 'SELECT sleepEachRow(1) FROM numbers(3) SETTINGS max_block_size = 1', format: 'TabSeparated' });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await rejectsWith(slow, 'REPUTE_ANALYTICS_ENGINE_CHANNEL_CLOSED');
  await exited;
  await rejectsWith(client.command({ query: 'SELECT 1' }), 'REPUTE_ANALYTICS_ENGINE_UNREACHABLE');

  child = await forkEngine();
  children.push(child);
  const count = await (await client.query({ query: `SELECT count() AS n FROM ${db}.t`, format: 'JSONEachRow' })).json<{ n: number | string }>();
  assert.equal(Number(count[0]?.n), 2);
  await client.command({ query: `DROP DATABASE ${db} SYNC` });
});

test('a read-only client\'s settings never reach another client\'s session: each has its own on the serving side', async (t) => {
  const pair = channelPair();
  const server = serveEngine({ channel: pair.server, dataDir: DATA_DIR });
  const reader = forwarded(() => pair.client);
  const writer = forwarded(() => pair.client);
  const db = uniqueName('fwdro');
  t.after(async () => {
    await writer.command({ query: `DROP DATABASE IF EXISTS ${db} SYNC` });
    await reader.close();
    await writer.close();
    await server.close();
  });
  await writer.command({ query: `CREATE DATABASE ${db}` });
  await writer.command({ query: `CREATE TABLE ${db}.audit (n UInt32) ENGINE = MergeTree ORDER BY n` });
  // The analyst's reader asks with readonly = 1, which chDB applies to the session with SET.
  const seen = await reader.query({ query: `SELECT count() AS c FROM ${db}.audit`, format: 'JSONEachRow', clickhouse_settings: { readonly: '1' } });
  assert.equal(Number((await seen.json<{ c: number | string }>())[0]!.c), 0);
  await assert.rejects(reader.command({ query: `INSERT INTO ${db}.audit VALUES (9)` }), /readonly/i);
  // The writer's session is its own: its insert goes through.
  await writer.insert({ table: `${db}.audit`, values: [{ n: 1 }], format: 'JSONEachRow' });
  const rows = await (await writer.query({ query: `SELECT n FROM ${db}.audit`, format: 'JSONEachRow' })).json<{ n: number }>();
  assert.deepEqual(rows.map((r) => Number(r.n)), [1]);
});
