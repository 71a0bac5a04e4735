import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { decode, encode } from 'dns-packet';
import type { FastifyInstance } from 'fastify';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import type { DnsConfig } from '../src/config.ts';
import { buildDns, dig, dnsConfig, exchange, exchangeTcp, expectDropped, query, record, until, writer } from './helpers.ts';

// Hostile and unusual packets: each gets the refusal the RFCs ask for, or nothing, and the
// probe query sent after each dropped one shows the service still answers.
const Z = 'bl.test.example';
let w: ReturnType<typeof writer>;
let app: FastifyInstance;
let port: number;
let config: DnsConfig;

before(async () => {
  config = dnsConfig(await testRedisUrl());
  w = writer(config);
  // Enough categories that the TXT answer outgrows 512 bytes.
  const categories = Array.from({ length: 24 }, (_, i) => `category-with-a-long-name-${i}`);
  await w.store.write(record('ip', '192.0.2.50', 'malicious', { categories }));
  ({ app, port } = await buildDns(config));
});
after(async () => {
  await app?.close();
  await w?.redis.quit();
  await closeTestServices();
});

const rcodeOf = (b: Buffer): number => b.readUInt16BE(2) & 0x0f;

test('shorter than a header, or a response: nothing is sent, and the service keeps answering', async () => {
  for (const message of [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.alloc(11, 0xff)]) {
    const { reply, probe } = await expectDropped(port, message);
    assert.equal(reply, null);
    assert.equal(rcodeOf(probe), 0);
  }
  const response = query(7, `2.0.0.127.${Z}`);
  response[2] = response[2]! | 0x80;
  assert.equal((await expectDropped(port, response)).reply, null);
});

test('garbage, truncated and oversized queries get FORMERR (header only, no larger than the query)', async () => {
  const good = query(0x1234, `2.0.0.127.${Z}`);
  const garbage = Buffer.concat([good.subarray(0, 12), Buffer.alloc(40, 0xff)]);
  const truncated = good.subarray(0, good.length - 3);
  const oversized = Buffer.concat([good, Buffer.alloc(4000)]);
  const twoQuestions = encode({ type: 'query', id: 0x1234, questions: [{ type: 'A', name: `a.${Z}` }, { type: 'A', name: `b.${Z}` }] });
  const loop = Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  for (const message of [garbage, truncated, oversized, twoQuestions, loop]) {
    const reply = await exchange(port, message);
    assert.equal(rcodeOf(reply), 1);
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.ok(reply.length <= message.length);
  }
});

test('an opcode other than QUERY gets NOTIMP', async () => {
  const status = query(9, `2.0.0.127.${Z}`);
  status.writeUInt16BE((2 << 11), 2);
  assert.equal(rcodeOf(await exchange(port, status)), 4);
});

test('EDNS: OPT echoed; version 1 gets BADVERS; two OPTs get FORMERR', async () => {
  const withEdns = await dig(port, `2.0.0.127.${Z}`, 'A', ['+edns=0']);
  assert.match(withEdns.raw, /OPT PSEUDOSECTION:\n; EDNS: version: 0/);
  const badvers = await dig(port, `2.0.0.127.${Z}`, 'A', ['+edns=1', '+noednsneg']);
  assert.equal(badvers.status, 'BADVERS', badvers.raw);
  const opt = { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as never;
  const twoOpts = encode({ type: 'query', id: 77, questions: [{ type: 'A', name: `2.0.0.127.${Z}` }], additionals: [opt, opt] });
  assert.equal(rcodeOf(await exchange(port, twoOpts)), 1);
});

test('names outside our zones are REFUSED, recursion desired or not; so is class CH', async () => {
  assert.equal((await dig(port, 'example.com', 'A', ['+rec'])).status, 'REFUSED');
  const refused = await dig(port, 'www.example.org');
  assert.equal(refused.status, 'REFUSED');
  assert.ok(!refused.flags.includes('ra'));
  assert.equal((await dig(port, 'version.bind', 'TXT', ['-c', 'CH'])).status, 'REFUSED');
});

test('ANY gets the RFC 8482 HINFO; AXFR and IXFR are REFUSED', async () => {
  const any = await dig(port, `10.2.0.192.${Z}`, 'ANY');
  assert.equal(any.status, 'NOERROR');
  assert.deepEqual(any.answers.map((r) => r.type), ['HINFO']);
  const axfr = encode({ type: 'query', id: 5, questions: [{ type: 'AXFR', name: Z }] });
  assert.equal(rcodeOf(await exchangeTcp(port, axfr)), 5);
  assert.equal(rcodeOf(await exchange(port, axfr)), 5);
  const ixfr = encode({ type: 'query', id: 6, questions: [{ type: 'IXFR', name: Z }], authorities: [{ type: 'SOA', name: Z, data: { mname: Z, rname: Z, serial: 1 } }] });
  assert.equal(rcodeOf(await exchange(port, ixfr)), 5);
});

test('the apex answers SOA; other apex types are NODATA with the SOA', async () => {
  const soa = await dig(port, Z, 'SOA');
  assert.equal(soa.answers[0]?.type, 'SOA');
  const ns = await dig(port, Z, 'NS');
  assert.equal(ns.status, 'NOERROR');
  assert.equal(ns.answers.length, 0);
  assert.equal(ns.authority[0]?.type, 'SOA');
});

test('UDP answers never exceed 512 bytes without EDNS nor the EDNS size: TC set, and TCP has the whole answer', async () => {
  const name = `50.2.0.192.${Z}`;
  const plain = encode({ type: 'query', id: 3, questions: [{ type: 'TXT', name }] });
  const reply = await exchange(port, plain);
  assert.ok(reply.length <= 512, `answer of ${reply.length} bytes`);
  assert.ok((reply.readUInt16BE(2) & 0x0200) !== 0, 'TC must be set');
  assert.equal(decode(reply).answers?.length, 0);
  const small = await dig(port, name, 'TXT', ['+bufsize=600', '+ignore']);
  assert.ok(small.flags.includes('tc'), small.raw);
  const overTcp = await dig(port, name, 'TXT', ['+tcp']);
  assert.equal(overTcp.status, 'NOERROR');
  assert.match(overTcp.answers.map((a) => a.data).join(''), /category-with-a-long-name-23/);
  // dig retries over TCP by itself after TC.
  const retried = await dig(port, name, 'TXT', ['+noedns']);
  assert.match(retried.raw, /Truncated, retrying in TCP mode/);
  assert.equal(retried.status, 'NOERROR');
});

test('TCP: garbage frames close the connection; the listener keeps serving', async () => {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from([0, 3, 1, 2, 3])));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  assert.equal((await dig(port, `2.0.0.127.${Z}`, 'A', ['+tcp'])).status, 'NOERROR');
});

test('a flood from one address is REFUSED past its bucket, and answered again once it refills', async () => {
  const limited = await buildDns({ ...config, DNS_RATE_LIMIT_QPS: 2, DNS_RATE_LIMIT_BURST: 20 });
  try {
    const rcodes: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 60; i++) rcodes.push(rcodeOf(await exchange(limited.port, query(i, `2.0.0.127.${Z}`))));
    // The burst, plus what refilled while the flood was sent, is answered; the rest is refused.
    const refilled = Math.ceil(((performance.now() - started) / 1000) * 2);
    const refused = rcodes.filter((r) => r === 5).length;
    assert.ok(refused >= 60 - 20 - refilled, `expected REFUSED past the burst, got ${rcodes.join(',')}`);
    assert.ok(refused > 0 && rcodes.slice(0, 20).every((r) => r === 0), rcodes.join(','));
    assert.equal(rcodeOf(await exchange(port, query(1, `2.0.0.127.${Z}`))), 0, 'another instance is unaffected');
    await until('the bucket to refill', async () => rcodeOf(await exchange(limited.port, query(99, `2.0.0.127.${Z}`))) === 0);
  } finally {
    await limited.app.close();
  }
});

test('with the drop action, a client over its limit gets nothing until its bucket refills', async () => {
  const drop = await buildDns({ ...config, DNS_RATE_LIMIT_QPS: 2, DNS_RATE_LIMIT_BURST: 1, DNS_RATE_LIMIT_ACTION: 'drop' });
  try {
    assert.equal(rcodeOf(await exchange(drop.port, query(1, `2.0.0.127.${Z}`))), 0);
    const { reply, probe } = await expectDropped(drop.port, query(2, `2.0.0.127.${Z}`), true);
    assert.equal(reply, null);
    assert.equal(rcodeOf(probe), 0);
  } finally {
    await drop.app.close();
  }
});

test('answers are counted by response code and transport', async () => {
  const text = (await app.inject({ url: '/metrics' })).body;
  assert.match(text, /repute_dns_answers_total\{rcode="formerr",transport="udp"\} [1-9]/);
  assert.match(text, /repute_dns_answers_total\{rcode="refused",transport="tcp"\} [1-9]/);
  assert.match(text, /repute_dns_redis_round_trips_total [1-9]/);
});
