import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { edgeApp, loadEdgeConfig } from '@repute/edge';
import { closeTestServices, testRedisUrl, uniqueName } from '@repute/infra/testkit';
import { createRedis, type RedisClient } from '@repute/store';
import { dropPrefix, repute } from './helpers.ts';

let redis: RedisClient;
let edge: FastifyInstance;
let env: Record<string, string>;
let prefix: string;
const dir = mkdtempSync(join(tmpdir(), 'repute-cli-lists-'));

before(async () => {
  const redisUrl = await testRedisUrl();
  prefix = `${uniqueName('cli')}:`;
  redis = createRedis({ REDIS_URL: redisUrl }, { offlineQueue: true });
  edge = Fastify({ logger: false });
  await edge.register(edgeApp, { config: loadEdgeConfig({ env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'silent', EDGE_FILTER_CAPACITY: '10000', EDGE_FILTER_REBUILD_INTERVAL_S: '0' } }) });
  const url = await edge.listen({ host: '127.0.0.1', port: 0 });
  env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, REPUTE_API_URL: url };
});

after(async () => {
  await edge?.close();
  await dropPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
  await closeTestServices();
});

async function status(key: string, path = '/v1/reputation/domain/example.com'): Promise<number> {
  return (await fetch(`${env['REPUTE_API_URL']}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
}

test('keys create prints the key on its last line, and the key authenticates until revoked', async () => {
  const created = await repute(['keys', 'create', '--tenant', 'acme', '--scopes', 'lookup'], env);
  assert.equal(created.code, 0, created.stderr);
  const key = created.stdout.trimEnd().split('\n').at(-1)!;
  assert.match(key, /^rpk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(await status(key), 200);
  assert.equal(await status('rpk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 401);

  // Tenant names go into Redis keys, logs and listings: nothing that can break out of them.
  for (const tenant of ['two words', 'line\nbreak', '../other', 'a:b', '', 'x'.repeat(65)]) {
    const refused = await repute(['keys', 'create', '--tenant', tenant, '--scopes', 'lookup'], env);
    assert.notEqual(refused.code, 0, JSON.stringify(tenant));
    assert.match(refused.stderr, /tenant must be/, JSON.stringify(tenant));
  }

  const listed = await repute(['--json', 'keys', 'list'], env);
  const keys = JSON.parse(listed.stdout) as { id: string; tenant: string; scopes: string[] }[];
  assert.ok(keys.every((k) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(k.tenant)), 'no refused tenant was stored');
  const mine = keys.find((k) => k.tenant === 'acme');
  assert.deepEqual(mine?.scopes, ['lookup']);
  assert.ok(!listed.stdout.includes(key), 'keys list must never show a key');

  assert.equal((await repute(['keys', 'revoke', mine!.id], env)).code, 0);
  const deadline = Date.now() + 10_000;
  while ((await status(key)) !== 401) {
    assert.ok(Date.now() < deadline, 'revoked key still accepted');
    await new Promise((r) => setTimeout(r, 50));
  }
});

test('keys create --trusted makes a trusted key; keys list says which keys are trusted', async () => {
  const help = await repute(['keys', 'create', '--help'], env);
  assert.match(help.stdout, /--trusted/);
  assert.match(help.stdout, /trusted source/);
  const created = await repute(['--json', 'keys', 'create', '--tenant', 'sandbox-farm', '--scopes', 'ingest', '--trusted'], env);
  assert.equal(created.code, 0, created.stderr);
  const out = JSON.parse(created.stdout) as { id: string; trusted: boolean };
  assert.equal(out.trusted, true);
  const plain = JSON.parse((await repute(['--json', 'keys', 'create', '--tenant', 'acme', '--scopes', 'ingest'], env)).stdout) as { id: string; trusted: boolean };
  assert.equal(plain.trusted, false);
  const listed = JSON.parse((await repute(['--json', 'keys', 'list'], env)).stdout) as { id: string; trusted: boolean }[];
  assert.equal(listed.find((k) => k.id === out.id)?.trusted, true);
  assert.equal(listed.find((k) => k.id === plain.id)?.trusted, false);
  const text = (await repute(['keys', 'list'], env)).stdout.split('\n');
  assert.equal(text[0]!.split('\t').at(-1), 'trusted');
  assert.equal(text.find((line) => line.startsWith(out.id))?.split('\t').at(-1), 'yes');
});

test('usage errors exit 2 and say what is wrong', async () => {
  const badScope = await repute(['keys', 'create', '--tenant', 'x', '--scopes', 'root'], env);
  assert.equal(badScope.code, 2);
  assert.match(badScope.stderr, /unknown scope\(s\): root/);
  assert.equal((await repute(['keys', 'create', '--scopes', 'lookup'], env)).code, 2);
  assert.equal((await repute(['teleport'], env)).code, 2);
  assert.equal((await repute(['import', '--as', 'maybe', 'x.txt'], env)).code, 2);
  assert.equal((await repute(['--help'], env)).code, 0);
  const version = await repute(['--version'], env);
  assert.equal(version.code, 0);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  // Every subcommand says what it does.
  for (const [sub, says] of [['list', /unsettled dead letters/], ['show', /one dead letter/], ['drop', /settles one dead letter/], ['replay', /sends dead letters back/]] as const) {
    const help = await repute(['dlq', sub, '--help'], env);
    assert.equal(help.code, 0, sub);
    assert.match(help.stdout, says, `dlq ${sub} --help says what it does`);
  }
  const noKey = await repute(['lookup', 'example.com'], env);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /--key or set REPUTE_API_KEY/);
});

test('imported deny lists (plain, STIX 2.1, CSV) convict at the edge; lookup --json answers in order; --strict flags rejects', async () => {
  const key = (await repute(['keys', 'create', '--tenant', 'acme', '--scopes', 'lookup'], env)).stdout.trimEnd().split('\n').at(-1)!;
  const tag = randomBytes(4).toString('hex');
  const sha = randomBytes(32).toString('hex');
  const domain = `c2-${tag}.example`;
  const plain = join(dir, 'plain.txt');
  const md5 = randomBytes(16).toString('hex');
  const sha1 = randomBytes(20).toString('hex');
  writeFileSync(plain, `# a comment\n${domain}\n203.0.113.${randomBytes(1)[0]! % 250}:443\n${sha};Backdoor.X sample\n/only/a/path.arm\n${md5}\nevil-${tag}.example/drop/x.exe\n${sha1.toUpperCase()}\n`);
  const stixDomain = `stix-${tag}.example`;
  const stix = join(dir, 'bundle.json');
  writeFileSync(stix, JSON.stringify({
    type: 'bundle', id: `bundle--${tag}`, objects: [
      { type: 'indicator', spec_version: '2.1', id: 'indicator--1', name: 'C2', pattern_type: 'stix', pattern: `[domain-name:value = '${stixDomain}']` },
      { type: 'indicator', spec_version: '2.1', id: 'indicator--2', pattern_type: 'sigma', pattern: 'title: x' },
      { type: 'identity', spec_version: '2.1', id: 'identity--1', name: 'someone' },
    ],
  }));
  const csv = join(dir, 'urls.csv');
  writeFileSync(csv, `# header comment\n"host","path","message"\n"csv-${tag}.example","","bad host"\n"shared-${tag}.example","/bad/page.html","bad url"\n`);

  const imported = await repute(['--json', '--strict', 'import', '--as', 'deny', plain, stix, csv], env);
  assert.equal(imported.code, 3, imported.stderr);
  const report = JSON.parse(imported.stdout) as { files: { format: string; imported: number; rejected: number; reasons: Record<string, number> }[]; totals: { imported: number; rejected: number } };
  assert.deepEqual(report.files.map((f) => f.format), ['lines', 'stix', 'csv']);
  assert.deepEqual(report.files[0]!.reasons, { path_without_host: 1 });
  assert.equal(report.files[0]!.imported, 6);
  assert.deepEqual(report.files[1]!.reasons, { not_a_stix_pattern: 1 });
  assert.equal(report.files[2]!.imported, 2);

  const asked = [domain, sha, stixDomain, `http://shared-${tag}.example/bad/page.html`, `https://www.csv-${tag}.example/anything`, `unknown-${tag}.example`, md5.toUpperCase(), sha1, randomBytes(16).toString('hex'), randomBytes(20).toString('hex')];
  const looked = await repute(['--json', 'lookup', '--key', key, ...asked], env);
  assert.equal(looked.code, 0, looked.stderr);
  const answer = JSON.parse(looked.stdout) as { results: { status: string; verdict?: string; kind?: string; reasons?: { rule: string; detail?: string }[] }[] };
  assert.deepEqual(answer.results.map((r) => r.verdict), ['malicious', 'malicious', 'malicious', 'malicious', 'malicious', 'unknown', 'malicious', 'malicious', 'unknown', 'unknown']);
  assert.deepEqual(answer.results.map((r) => r.kind), ['domain', 'file', 'domain', 'url', 'url', 'domain', 'file', 'file', 'file', 'file']);
  // MD5/SHA-1-only entries answer single lookups too.
  for (const hash of [md5, sha1]) {
    const one = await fetch(`${env['REPUTE_API_URL']}/v1/reputation/file/${hash}`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(((await one.json()) as { verdict: string }).verdict, 'malicious');
  }
  assert.deepEqual(answer.results[1]!.reasons, [{ rule: 'list.block', weight: 100, detail: `${dir.split('/').at(-1)}/plain.txt: Backdoor.X sample` }]);

  // Indicators on stdin, one a line; an entry no kind fits is reported, not sent.
  const piped = await repute(['--json', '--strict', 'lookup', '--key', key], env, `${domain}\n/nope\n`);
  assert.equal(piped.code, 3);
  assert.deepEqual((JSON.parse(piped.stdout) as { counts: object }).counts, { found: 1, unknown: 0, invalid: 1 });

  // Allow wins when it comes later: the domain turns clean, with the allow list as its reason.
  const allow = join(dir, 'allow.json');
  writeFileSync(allow, JSON.stringify({ name: 'mine', type: 'hostname', list: [domain] }));
  assert.equal((await repute(['import', '--as', 'allow', allow], env)).code, 0);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const again = JSON.parse((await repute(['--json', 'lookup', '--key', key, domain], env)).stdout) as { results: { verdict: string }[] };
    if (again.results[0]!.verdict === 'clean') break;
    assert.ok(Date.now() < deadline, 'allow import did not take effect');
  }
});

test('every list in the shared test data imports, with its rejects counted by reason', async (t) => {
  const { existsSync, readdirSync, statSync } = await import('node:fs');
  const data = new URL('../../../../shared/data/', import.meta.url).pathname;
  if (!existsSync(data)) {
    t.skip(`no test data at ${data}`);
    return;
  }
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.startsWith('LICENSE') && !name.endsWith('.md')) files.push(path);
    }
  };
  walk(data);
  const allow = files.filter((f) => f.includes('/misp-warninglists/'));
  const deny = files.filter((f) => !f.includes('/misp-warninglists/'));

  // A private redis-server without persistence: a million records stay out of the shared one.
  const { startRedis } = await import('@repute/infra');
  const server = await startRedis({ appendOnly: false });
  t.after(() => server.close());
  const privateEnv = { REDIS_URL: server.url };
  type Report = { files: { file: string; format: string; entries: number; imported: number; duplicates: number; unchanged: number; rejected: number; reasons: Record<string, number> }[]; totals: { entries: number; imported: number; rejected: number }; seconds: number };
  const reports: Report[] = [];
  for (const [mode, list] of [['deny', deny], ['allow', allow]] as const) {
    const started = performance.now();
    const result = await repute(['--json', 'import', '--as', mode, ...list], privateEnv);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    t.diagnostic(`${mode}: ${list.length} files, ${report.totals.entries} entries, ${report.totals.imported} imported, ${report.totals.rejected} rejected in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    reports.push(report);
  }
  const all = reports.flatMap((r) => r.files);
  assert.equal(all.length, files.length);
  for (const f of all) {
    assert.equal(f.imported + f.duplicates + f.unchanged + f.rejected, f.entries, `${f.file} does not add up`);
    assert.equal(Object.values(f.reasons).reduce((a, b) => a + b, 0), f.rejected, `${f.file}: rejects without a reason`);
  }
  const byName = (suffix: string) => all.find((f) => f.file.endsWith(suffix))!;
  assert.equal(byName('stamparm-ipsum/ipsum.txt').format, 'ipsum');
  assert.equal(byName('stamparm-ipsum/ipsum.txt').rejected, 0);
  assert.equal(byName('urlhaus-filter/urlhaus-filter-splunk-online.csv').format, 'csv');
  assert.equal(byName('tranco10k/list.json').format, 'misp');
  // MD5/SHA-1-only lists import as records of their own.
  for (const name of ['blocklist-recommendations/lists/md5.txt', 'romainmarcoux-malicious-hash/full-hash-md5-aa.txt', 'romainmarcoux-malicious-hash/full-hash-sha1-aa.txt']) {
    const f = byName(name);
    assert.equal(f.rejected, 0, `${name}: ${JSON.stringify(f.reasons)}`);
    assert.ok(f.imported > f.entries * 0.5, `${name}: ${f.imported} of ${f.entries} imported`);
  }
  assert.ok(byName('maltrail/static/malware/elf_mirai.txt').reasons['path_without_host']! > 30_000);
  assert.ok(byName('loldrivers/drivers.csv').imported > 1000);
  const records = await (async () => {
    const r = createRedis({ REDIS_URL: server.url }, { offlineQueue: true });
    try {
      const counts = await Promise.all(['file', 'url', 'domain', 'ip'].map((k) => r.zcard(`rep:index:${k}`)));
      return counts.reduce((a, b) => a + b, 0);
    } finally {
      r.disconnect();
    }
  })();
  // Allow entries overwrite deny records of the same indicator rather than adding new ones.
  const written = reports.reduce((n, r) => n + r.totals.imported, 0);
  assert.ok(records <= written && records > written * 0.9, `${records} records for ${written} writes`);
});
