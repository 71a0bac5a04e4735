import { parseArgs } from 'node:util';
import { createBus, listDeadLetters, replayDeadLetters } from '@repute/bus';
import { ConfigError } from '@repute/config';
import { TELEMETRY_DLQ_TOPIC } from '@repute/telemetry';
import { loadIngestConfig } from './config.ts';

const USAGE = `usage: node services/ingest/src/cli.ts dlq list [--topic <dlq topic>] [--limit <n>]
       node services/ingest/src/cli.ts dlq replay [--topic <dlq topic>] [--timeout-ms <ms>]

Reads the bus settings (BUS_KIND, REDIS_URL, REDIS_KEY_PREFIX, KAFKA_BROKERS, ...) from the environment.
list prints one JSON object per dead letter; replay sends every dead letter not yet replayed
back to its source topic and prints how many.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      topic: { type: 'string', default: TELEMETRY_DLQ_TOPIC },
      limit: { type: 'string', default: '1000' },
      'timeout-ms': { type: 'string', default: '60000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [area, command] = positionals;
  if (values.help || area !== 'dlq' || (command !== 'list' && command !== 'replay')) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadIngestConfig();
  const bus = createBus(config, {
    info() {},
    debug() {},
    warn: (obj, msg) => process.stderr.write(`warn: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
    error: (obj, msg) => process.stderr.write(`error: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  });
  try {
    if (command === 'list') {
      const letters = await listDeadLetters(bus, values.topic, Number(values.limit));
      for (const letter of letters) process.stdout.write(`${JSON.stringify(letter)}\n`);
      process.stderr.write(`${letters.length} dead letter(s) on ${values.topic}\n`);
    } else {
      const count = await replayDeadLetters(bus, values.topic, { timeoutMs: Number(values['timeout-ms']) });
      process.stdout.write(`replayed ${count}\n`);
    }
    return 0;
  } finally {
    await bus.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p.variable}: ${p.reason}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
