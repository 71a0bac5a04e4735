import { clearRuntimeState, writeRuntimeState } from '@repute/cli';
import { ConfigError } from '@repute/config';
import { loadLauncherConfig, type LauncherConfig } from './config.ts';
import { startSystem, type RunningSystem } from './system.ts';

// `npm start`: the whole system on one machine. What a person needs (addresses, the first admin
// key, problems) goes to the terminal as plain lines; the services log JSON beside them.

const say = (line: string): void => { process.stdout.write(`repute: ${line}\n`); };
const complain = (line: string): void => { process.stderr.write(`repute: ${line}\n`); };

function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current instanceof Error && parts.length < 4) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(err);
}

let config: LauncherConfig;
try {
  config = loadLauncherConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) complain(`config: ${p.variable} ${p.reason}`);
    process.exit(2);
  }
  throw err;
}

say(`starting (data in ${config.REPUTE_DATA_DIR}, bus ${config.BUS_KIND}, analytics ${config.CLICKHOUSE_URL === '' ? `embedded ClickHouse in ${config.CLICKHOUSE_DATA_DIR}` : config.CLICKHOUSE_URL})`);
let system: RunningSystem;
try {
  system = await startSystem(config, { note: say });
} catch (err) {
  complain(`cannot start: ${describeError(err)}`);
  process.exit(1);
}

say(`listening on ${system.url}`);
for (const service of system.services) say(`  ${service.name.padEnd(11)} ${service.paths.map((p) => (p.startsWith('/') ? `${system.url}${p}` : p)).join('  ')}`);
say(`  operations  ${system.url}/healthz  ${system.url}/readyz  ${system.url}/metrics`);
say(`redis: ${system.redisUrl}${system.redisServer !== undefined ? ` (private redis-server, data in ${system.redisServer.dataDir})` : ''}`);
if (system.adminKey !== undefined) {
  say(`admin API key for tenant "${config.REPUTE_ADMIN_TENANT}" (id ${system.adminKey.id}); it is shown only this once, keep it safe:`);
  say(`admin key: ${system.adminKey.key}`);
}
writeRuntimeState(config.REPUTE_DATA_DIR, { url: system.url, redisUrl: system.redisUrl, pid: process.pid, startedAt: new Date().toISOString() });
say('ready; Ctrl-C stops');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    complain(`${signal} again: stopping at once`);
    process.exit(130);
  }
  stopping = true;
  say(`${signal}: stopping (draining, finishing the batch in hand, then stopping redis-server)`);
  const hardLimit = setTimeout(() => {
    complain('shutdown took too long, exiting');
    process.exit(1);
  }, config.SHUTDOWN_DRAIN_MS + 30_000);
  hardLimit.unref();
  try {
    await system.close();
    clearRuntimeState(config.REPUTE_DATA_DIR);
    say('stopped');
    process.exit(0);
  } catch (err) {
    complain(`error while stopping: ${describeError(err)}`);
    process.exit(1);
  }
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
