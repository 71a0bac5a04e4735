import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { TProperties } from 'typebox';
import { parse } from 'yaml';
import { analystConfigSchema } from '@repute/analyst';
import { correlatorConfig } from '@repute/correlator';
import { dnsConfigSchema } from '@repute/dns';
import { edgeConfigSchema } from '@repute/edge';
import { ingestConfigSchema } from '@repute/ingest';

// infra/compose.yaml is not started here (no container engine); these checks catch what breaks it
// without one: YAML that does not parse, and variables the services would silently ignore.

interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const schemas: Record<string, TProperties> = { edge: edgeConfigSchema, ingest: ingestConfigSchema, correlator: correlatorConfig, analyst: analystConfigSchema, dns: dnsConfigSchema };

/** The Repute service a container runs: the entrypoint's argument (edge, edge-cli ...). */
function reputeService(s: ComposeService): string | undefined {
  const args = s.entrypoint?.[0] === '/usr/local/bin/repute' ? s.entrypoint.slice(1) : (s.command ?? []);
  return args[0]?.replace(/-cli$/, '');
}

test('compose.yaml parses and runs Kafka (KRaft), ClickHouse, Redis and the services', () => {
  const services = compose.services;
  assert.match(services['kafka']?.image ?? '', /^apache\/kafka:/);
  assert.equal(services['kafka']?.environment?.['KAFKA_PROCESS_ROLES'], 'broker,controller');
  assert.match(services['clickhouse']?.image ?? '', /^clickhouse\/clickhouse-server:/);
  assert.match(services['redis']?.image ?? '', /^redis:/);
  for (const name of ['edge', 'ingest', 'correlator', 'dns']) assert.equal(reputeService(services[name] ?? {}), name);
});

test('every variable compose.yaml sets on a Repute container is one that service reads', () => {
  let checked = 0;
  for (const [name, service] of Object.entries(compose.services)) {
    const which = reputeService(service);
    if (which === undefined || service.image?.startsWith('repute') !== true) continue;
    const schema = schemas[which];
    assert.ok(schema !== undefined, `${name}: unknown Repute service ${which}`);
    for (const variable of Object.keys(service.environment ?? {})) {
      assert.ok(variable in schema, `${name}: ${variable} is not a ${which} configuration variable`);
      checked++;
    }
  }
  assert.ok(checked > 20, `only ${checked} variables checked`);
});

test('the services in compose.yaml agree on the shared settings', () => {
  const env = (name: string): Record<string, string> => compose.services[name]?.environment ?? {};
  for (const variable of ['REDIS_URL', 'REDIS_KEY_PREFIX']) {
    assert.equal(env('ingest')[variable], env('edge')[variable], variable);
    assert.equal(env('correlator')[variable], env('edge')[variable], variable);
  }
  assert.equal(env('correlator')['KAFKA_BROKERS'], env('ingest')['KAFKA_BROKERS']);
  assert.equal(env('correlator')['BUS_KIND'], 'kafka');
});
