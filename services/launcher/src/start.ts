import { constants } from 'node:os';
import { clearRuntimeState, writeRuntimeState } from '@repute/runtime-state';
import { ConfigError } from '@repute/config';
import { loadLauncherConfig, type LauncherConfig } from './config.ts';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.ts';
import { describeError } from './describe-error.ts';
import { watchParent } from './parent-watch.ts';
import { startSystem, type RunningSystem } from './system.ts';

// `npm start`: the whole system on one machine. What a person needs (addresses, the first admin
// key, problems) goes to the terminal as plain lines; the services log JSON beside them.

const say = (line: string): void => { process.stdout.write(`repute: ${line}\n`); };
const complain = (line: string): void => { process.stderr.write(`repute: ${line}\n`); };


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

// Before anything touches the data folder; held until this process exits.
try {
  await lockDataDir(config.REPUTE_DATA_DIR);
} catch (err) {
  if (err instanceof DataDirInUseError) {
    complain(`${err.message}; stop it first${err.pid !== undefined ? ` (Ctrl-C where it runs, or kill ${err.pid})` : ''}, or set REPUTE_DATA_DIR to another folder`);
  } else {
    complain(`cannot start: cannot lock the data folder ${config.REPUTE_DATA_DIR}: ${describeError(err)}`);
  }
  process.exit(1);
}

// npm forwards the terminal's SIGINT to the script it runs, so where its shell execs node (bash,
// the sh of macOS and Fedora) one Ctrl-C arrives twice within milliseconds. Only a signal this
// long after the first one means "stop at once".
const REPEAT_AFTER_MS = 1000;

let system: RunningSystem | undefined;
let stoppingSince: number | undefined;

async function stop(running: RunningSystem, reason: string, exitCode: number): Promise<void> {
  say(`${reason}: stopping (draining, finishing the batch in hand, then stopping redis-server)`);
  const hardLimit = setTimeout(() => {
    complain('shutdown took too long, exiting');
    process.exit(1);
  }, config.SHUTDOWN_DRAIN_MS + 30_000);
  hardLimit.unref();
  try {
    await running.close();
    clearRuntimeState(config.REPUTE_DATA_DIR);
    say('stopped');
    process.exit(exitCode);
  } catch (err) {
    complain(`error while stopping: ${describeError(err)}`);
    process.exit(1);
  }
}

/** Stops once, in order; before the system is up there is nothing to drain, so it exits at once. */
function requestStop(reason: string, exitCode: number, abortCode: number): void {
  if (stoppingSince !== undefined) return;
  stoppingSince = Date.now();
  if (system === undefined) {
    // The exit hook of the redis-server being started stops it.
    complain(`${reason} while starting: stopping`);
    process.exit(abortCode);
  }
  void stop(system, reason, exitCode);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stoppingSince !== undefined) {
    if (Date.now() - stoppingSince < REPEAT_AFTER_MS) return;
    complain(`${signal} again: stopping at once`);
    process.exit(130);
  }
  requestStop(signal, 0, 128 + constants.signals[signal]);
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// npm runs this file through `sh -c`. The root `start` script execs node, so npm's signals reach
// it; where a script does not (Debian's sh, dash, neither execs node nor passes npm's SIGTERM
// on: it dies of it), this process would run on with nobody to stop it. The shell or npm
// going away is the cue then. npm sets npm_lifecycle_event for the scripts it runs; outside
// npm a parent that exits may mean to leave the launcher running.
if (process.env['npm_lifecycle_event'] !== undefined) {
  watchParent(() => requestStop('npm start was stopped (the shell npm ran this launcher in has gone)', 0, 1));
}

say(`starting (data in ${config.REPUTE_DATA_DIR}, bus ${config.BUS_KIND}, analytics ${config.CLICKHOUSE_URL === '' ? `embedded ClickHouse in ${config.CLICKHOUSE_DATA_DIR}` : config.CLICKHOUSE_URL})`);
try {
  system = await startSystem(config, {
    note: say,
    // The supervisor has said why; exiting non-zero lets an outer supervisor act.
    onRedisLost: () => requestStop('redis-server lost', 1, 1),
    onCorrelatorLost: () => requestStop('correlator process lost', 1, 1),
  });
} catch (err) {
  complain(`cannot start: ${describeError(err)}`);
  process.exit(1);
}

const { url } = system;
say(`listening on ${url}`);
for (const service of system.services) say(`  ${service.name.padEnd(11)} ${service.paths.map((p) => (p.startsWith('/') ? `${url}${p}` : p)).join('  ')}`);
say(`  operations  ${url}/healthz  ${url}/readyz  ${url}/metrics`);
say(`redis: ${system.redisUrl}${system.redisServer !== undefined ? ` (private redis-server, data in ${system.redisServer.dataDir})` : ''}`);
if (system.adminKey !== undefined) {
  say(`admin API key for tenant "${config.REPUTE_ADMIN_TENANT}" (id ${system.adminKey.id}); it is shown only this once, keep it safe:`);
  say(`admin key: ${system.adminKey.key}`);
}
writeRuntimeState(config.REPUTE_DATA_DIR, { url, redisUrl: system.redisUrl, pid: process.pid, startedAt: new Date().toISOString() });
say('ready; Ctrl-C stops');
