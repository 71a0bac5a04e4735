import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { closeTestServices, testRedisUrl } from '@repute/infra/testkit';
import { buildDns, dnsConfig, record, sha, writer } from './helpers.ts';

// `repute dns query` (shared/cli) against the real front end: the CLI builds the RFC 5782 name
// this service reads back.
const REPUTE = fileURLToPath(new URL('../../../shared/cli/bin/repute.mjs', import.meta.url));
const run = promisify(execFile);
let app: FastifyInstance;
let port: number;
let w: ReturnType<typeof writer>;
const file = sha('cli-dns-file');

before(async () => {
  const config = dnsConfig(await testRedisUrl());
  w = writer(config);
  await w.store.write(record('ip', '192.0.2.77', 'malicious', { categories: ['phishing'] }));
  await w.store.write(record('ip', '2001:db8::77', 'suspicious'));
  await w.store.write(record('domain', 'cli-evil.example', 'malicious'));
  await w.store.write(record('file', file, 'malicious'));
  ({ app, port } = await buildDns(config));
});
after(async () => {
  await app?.close();
  await w?.redis.quit();
  await closeTestServices();
});

async function query(indicator: string): Promise<{ listed: boolean; codes: string[]; text: string | null; name: string }> {
  const { stdout } = await run(process.execPath, [REPUTE, '--json', 'dns', 'query', indicator, '--zone', 'bl.test.example', '--server', `127.0.0.1:${port}`]);
  return JSON.parse(stdout) as { listed: boolean; codes: string[]; text: string | null; name: string };
}

test('repute dns query answers IPv4, IPv6, domains and SHA-256 hashes', async () => {
  const v4 = await query('192.0.2.77');
  assert.equal(v4.name, '77.2.0.192.bl.test.example');
  assert.deepEqual(v4.codes, ['127.0.0.2', '127.0.0.4']);
  assert.match(v4.text ?? '', /^malicious \(phishing\)/);
  assert.deepEqual((await query('2001:db8::77')).codes, ['127.0.0.3']);
  assert.deepEqual((await query('www.cli-evil.example')).codes, ['127.0.0.2']);
  assert.equal((await query(file)).listed, true);
  const clean = await query('192.0.2.78');
  assert.equal(clean.listed, false);
});

test('repute dns query refuses kinds no list answers, and says when the server is away', async () => {
  await assert.rejects(run(process.execPath, [REPUTE, 'dns', 'query', 'http://evil.example/x', '--zone', 'bl.test.example', '--server', `127.0.0.1:${port}`]), (err: { code: number }) => err.code === 2);
  await assert.rejects(run(process.execPath, [REPUTE, 'dns', 'query', '192.0.2.77', '--zone', 'elsewhere.example', '--server', `127.0.0.1:${port}`, '--timeout', '500']), (err: { code: number; stderr: string }) => err.code === 1 && /REFUSED/.test(err.stderr));
});
