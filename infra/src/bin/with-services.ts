import { spawn } from 'node:child_process';
import { startKafka, type KafkaBroker } from '../kafka.ts';
import { startRedis, type RedisServer } from '../redis.ts';

/**
 * Runs a command (after `--`) with a private redis-server and a Kafka broker started for it,
 * passed to the tests in REPUTE_TEST_REDIS_URL and REPUTE_TEST_KAFKA_BROKERS, and stops them
 * afterwards whatever the outcome. The command's exit code becomes ours.
 */
const separator = process.argv.indexOf('--');
const command = separator === -1 ? [] : process.argv.slice(separator + 1);
if (command.length === 0) {
  console.error('usage: with-services -- <command> [args...]');
  process.exit(2);
}

const log = (line: string): void => console.error(`[with-services] ${line}`);
let redis: RedisServer | undefined;
let kafka: KafkaBroker | undefined;
let exitCode = 1;
try {
  const started = Date.now();
  [redis, kafka] = await Promise.all([startRedis({ appendOnly: false, log }), startKafka({ log })]);
  log(`services ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(command[0]!, command.slice(1), {
      stdio: 'inherit',
      env: {
        ...process.env,
        REPUTE_TEST_REDIS_URL: redis!.url,
        REPUTE_TEST_KAFKA_BROKERS: kafka!.brokers.join(','),
      },
    });
    const forward = (signal: NodeJS.Signals): void => { child.kill(signal); };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await Promise.allSettled([redis?.close(), kafka?.close()]);
}
process.exit(exitCode);
