import Fastify, { type FastifyInstance } from 'fastify';
import { ipcChannel, serveEngine, type EngineServer } from '@repute/analytics';
import { correlatorApp } from '@repute/correlator';
import { loggerOptions, observabilityPlugin, problemPlugin, SERVER_OPTIONS } from '@repute/http';
import type { LauncherConfig } from './config.ts';
import { describeError } from './describe-error.ts';
import { isMessage, type FromCorrelator, type ToCorrelator } from './correlator-messages.ts';
import { watchParent } from './parent-watch.ts';

// The correlator's process under `npm start` (forked by correlator-child.ts): the correlator as
// its own server runs it, without a port, and the embedded ClickHouse engine it writes, served to
// the launcher's analyst API over the IPC channel. A batch here (Redis script, chDB insert,
// decoding) no longer holds up the launcher's lookups.
//
// It runs in a process group of its own, so a terminal's Ctrl-C reaches only the launcher, which
// stops it in order; it stops by itself when the launcher goes away.

if (process.send === undefined) {
  process.stderr.write('correlator-process.ts is started by the launcher (npm start), not by hand\n');
  process.exit(2);
}

const tell = (message: FromCorrelator): void => {
  if (process.connected) process.send!(message, () => {});
};

let stopping: Promise<void> | undefined;
let close: (() => Promise<void>) | undefined;
let app: FastifyInstance | undefined;

function stop(exitCode: number): void {
  stopping ??= (async () => {
    // A stop that hangs must not leave the process behind.
    setTimeout(() => process.exit(1), 30_000).unref();
    try {
      await close?.();
    } finally {
      process.exit(exitCode);
    }
  })();
}

async function start(config: LauncherConfig): Promise<void> {
  const fastify = Fastify({ logger: loggerOptions(config.LOG_LEVEL), ...SERVER_OPTIONS });
  let engine: EngineServer | undefined;
  close = async () => {
    await fastify.close();
    // After the worker's last insert; the launcher's analyst has closed its clients by now.
    await engine?.close();
  };
  await fastify.register(problemPlugin);
  // Without the service label the correlator's own server adds: the launcher shows these series
  // beside its own on one /metrics, as when everything ran in one process.
  await fastify.register(observabilityPlugin);
  await fastify.register(correlatorApp, { config });
  await fastify.ready();
  if (config.CLICKHOUSE_URL === '') engine = serveEngine({ channel: ipcChannel(process), dataDir: config.CLICKHOUSE_DATA_DIR });
  app = fastify;
}

async function readiness(id: number): Promise<void> {
  if (app === undefined || stopping !== undefined) {
    tell({ type: 'readiness', id, ready: false, detail: stopping !== undefined ? 'stopping' : 'starting' });
    return;
  }
  const { ready, checks } = await app.readiness.evaluate();
  const failing = Object.entries(checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}${c.detail !== undefined ? `: ${c.detail}` : ''}`);
  tell({ type: 'readiness', id, ready, ...(failing.length > 0 ? { detail: failing.join('; ') } : {}) });
}

process.on('message', (message: unknown) => {
  if (!isMessage<ToCorrelator>(message)) return;
  switch (message.type) {
    case 'start':
      start(message.config).then(
        () => tell({ type: 'started' }),
        (err: unknown) => {
          // Said before exiting, for the launcher to report why.
          process.send!({ type: 'start-failed', message: describeError(err) } satisfies FromCorrelator, () => stop(1));
        },
      );
      break;
    case 'readiness':
      void readiness(message.id);
      break;
    case 'metrics':
      void (app?.metrics.metrics() ?? Promise.resolve('')).then((text) => tell({ type: 'metrics', id: message.id, text }));
      break;
    case 'stop':
      stop(0);
      break;
  }
});

// The launcher gone (killed with -9, say): its channel closes at once; the parent watch is the
// backstop should the channel outlive it.
process.on('disconnect', () => stop(0));
watchParent(() => stop(0));
// Someone else's signal: stop in order; the launcher starts it again.
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

