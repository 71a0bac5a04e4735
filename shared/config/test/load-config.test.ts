import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { busConfig, ConfigError, describeConfig, httpConfig, loadConfig, redisConfig, Type } from '../src/index.ts';

const schema = { ...httpConfig, ...redisConfig, ...busConfig, API_SECRET: Type.String({ minLength: 8, secret: true, description: 'a secret' }) };

test('defaults fill what the environment leaves out, strings are coerced', () => {
  const config = loadConfig(schema, { env: { PORT: '9000', API_SECRET: 'abcdefgh' } });
  assert.equal(config.PORT, 9000);
  assert.equal(config.HOST, '127.0.0.1');
  assert.equal(config.BUS_KIND, 'redis');
  assert.equal(config.REDIS_URL, 'redis://127.0.0.1:6379');
});

test('every bad variable is listed at once, by name and reason', () => {
  assert.throws(
    () => loadConfig(schema, { env: { PORT: 'eighty', BUS_KIND: 'rabbit', LOG_LEVEL: 'loud' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const names = err.problems.map((p) => p.variable).sort();
      assert.deepEqual(names, ['API_SECRET', 'BUS_KIND', 'LOG_LEVEL', 'PORT']);
      assert.match(err.message, /PORT/);
      assert.match(err.problems.find((p) => p.variable === 'BUS_KIND')!.reason, /"redis", "kafka"/);
      assert.match(err.problems.find((p) => p.variable === 'API_SECRET')!.reason, /required/);
      return true;
    },
  );
});

test('a secret value is never echoed in a problem', () => {
  try {
    loadConfig(schema, { env: { API_SECRET: 'short' } });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.doesNotMatch(err.message, /short/);
  }
});

test('a config file supplies values and the environment wins over it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'repute-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ PORT: 7000, HOST: '0.0.0.0', API_SECRET: 'from-the-file' }));
  const config = loadConfig(schema, { file, env: { PORT: '7100' } });
  assert.equal(config.PORT, 7100);
  assert.equal(config.HOST, '0.0.0.0');
  assert.equal(config.API_SECRET, 'from-the-file');
});

test('unknown variables in a file and unreadable files are reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'repute-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ PROT: 1, API_SECRET: 'abcdefghij' }));
  assert.throws(() => loadConfig(schema, { file, env: {} }), /PROT: unknown variable/);
  assert.throws(() => loadConfig(schema, { file: join(dir, 'missing.json'), env: {} }), /cannot read/);
  writeFileSync(file, '[1,2]');
  assert.throws(() => loadConfig(schema, { file, env: {} }), /not a JSON object/);
});

test('cross-field checks run once fields are valid', () => {
  const refine = (c: { BUS_KIND: string; KAFKA_BROKERS: string }) =>
    c.BUS_KIND === 'kafka' && !c.KAFKA_BROKERS.includes(':') ? [{ variable: 'KAFKA_BROKERS', reason: 'needs host:port entries when BUS_KIND is kafka' }] : [];
  assert.throws(() => loadConfig(schema, { env: { API_SECRET: 'abcdefgh', BUS_KIND: 'kafka', KAFKA_BROKERS: 'broker' }, refine }), /KAFKA_BROKERS: needs host:port/);
  assert.equal(loadConfig(schema, { env: { API_SECRET: 'abcdefgh', BUS_KIND: 'kafka', KAFKA_BROKERS: 'b:9092' }, refine }).KAFKA_BROKERS, 'b:9092');
});

test('the variable reference renders every variable with its default', () => {
  const table = describeConfig(schema);
  assert.match(table, /\| `PORT` \| integer \| `8080` \|/);
  assert.match(table, /\| `API_SECRET` \| string \| \*\*required\*\* \|/);
  assert.match(table, /`redis` \\\| `kafka`/);
});
