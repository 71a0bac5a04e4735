import Fastify from 'fastify';
import { ConfigError } from '@repute/config';
import { loggerOptions, runServer, SERVER_OPTIONS } from '@repute/http';
import analystApp from './app.ts';
import { loadAnalystConfig, type AnalystConfig } from './config.ts';

let config: AnalystConfig;
try {
  config = loadAnalystConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p.variable} ${p.reason}\n`);
    process.exit(2);
  }
  throw err;
}

const app = Fastify({ logger: loggerOptions(config.LOG_LEVEL), bodyLimit: config.BODY_LIMIT_BYTES, ...SERVER_OPTIONS });
await app.register(analystApp, { config });
await runServer(app, { host: config.HOST, port: config.PORT, drainMs: config.SHUTDOWN_DRAIN_MS });
