import { parseArgs } from 'node:util';
import { createKeyStore, isScope, type Scope } from '@repute/auth';
import { ConfigError } from '@repute/config';
import { createRedis, createReputationStore, loadSigningKeys, rebuildFilter } from '@repute/store';
import { loadEdgeConfig } from './config.ts';
import { FILTER_KINDS } from './plugins/filters.ts';

const USAGE = `usage:
  cli.ts keys create --tenant <name> --scopes <scope,...> [--rate-limit <per minute>] [--daily-quota <n>] [--trusted]
    (--trusted: a trusted source, e.g. your own sandbox farm or a vendor feed, whose telemetry
     alone may convict an indicator for every tenant)
  cli.ts keys list
  cli.ts keys revoke <id>
  cli.ts filters rebuild [--kind file|url|domain|ip]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      scopes: { type: 'string' },
      'rate-limit': { type: 'string' },
      'daily-quota': { type: 'string' },
      trusted: { type: 'boolean' },
      kind: { type: 'string' },
    },
  });
  const [area, command, arg] = positionals;
  let config;
  try {
    config = loadEdgeConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.problems.map((p) => `${p.variable} ${p.reason}`).join('\n'));
    throw err;
  }
  const redis = createRedis(config, { offlineQueue: true, commandTimeoutMs: 30_000 });
  try {
    if (area === 'keys') {
      const keys = createKeyStore(redis, { prefix: config.REDIS_KEY_PREFIX });
      if (command === 'create') {
        if (values.tenant === undefined) fail('--tenant is required');
        const scopes = (values.scopes ?? 'lookup').split(',').map((s) => s.trim()).filter((s) => s !== '');
        const wrong = scopes.filter((s) => !isScope(s));
        if (wrong.length > 0) fail(`unknown scope(s): ${wrong.join(', ')}`);
        const created = await keys.create({
          tenant: values.tenant,
          scopes: scopes as Scope[],
          ...(values['rate-limit'] !== undefined ? { rateLimitPerMinute: Number(values['rate-limit']) } : {}),
          ...(values['daily-quota'] !== undefined ? { dailyQuota: Number(values['daily-quota']) } : {}),
          trusted: values.trusted === true,
        });
        process.stdout.write(`created ${values.trusted === true ? 'trusted ' : ''}key ${created.id} for tenant ${values.tenant} (${scopes.join(',')}); it is shown only once:\n${created.key}\n`);
      } else if (command === 'list') {
        for (const k of await keys.list()) {
          process.stdout.write(`${k.id}\t${k.tenant}\t${k.scopes.join(',')}\t${k.rateLimitPerMinute ?? '-'}/min\t${k.dailyQuota ?? '-'}/day\t${k.createdAt}\t${k.trusted === true ? 'trusted' : '-'}\n`);
        }
      } else if (command === 'revoke') {
        if (arg === undefined) fail('keys revoke needs the key id');
        if (!(await keys.revoke(arg))) fail(`no key with id ${arg}`);
        process.stdout.write(`revoked ${arg}\n`);
      } else fail(`unknown keys command ${command ?? ''}`);
    } else if (area === 'filters' && command === 'rebuild') {
      const store = createReputationStore(redis, { prefix: config.REDIS_KEY_PREFIX, streamMaxLength: config.EDGE_STREAM_MAX_LENGTH });
      const signing = await loadSigningKeys(redis, config.REDIS_KEY_PREFIX);
      const kinds = values.kind !== undefined ? FILTER_KINDS.filter((k) => k === values.kind) : FILTER_KINDS;
      if (kinds.length === 0) fail(`unknown kind ${values.kind}`);
      for (const kind of kinds) {
        const started = performance.now();
        const built = await rebuildFilter(store, kind, signing, {
          capacity: config.EDGE_FILTER_CAPACITY,
          fpr: config.EDGE_FILTER_FPR,
          onProgress: (k, scanned) => process.stderr.write(`\r${k}: ${scanned} keys scanned`),
        });
        process.stderr.write('\n');
        process.stdout.write(`${kind}: ${built.filter.count} digests, ${built.bytes.length} bytes, m=${built.filter.m} k=${built.filter.k}, position ${built.position}, ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
      }
    } else fail('unknown command');
  } finally {
    redis.disconnect();
  }
}

await main();
