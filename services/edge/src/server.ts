import Fastify from 'fastify';
import { ConfigError } from '@repute/config';
import { loggerOptions, runServer, SERVER_OPTIONS } from '@repute/http';
import edgeApp from './app.ts';
import { loadEdgeConfig, type EdgeConfig } from './config.ts';

let config: EdgeConfig;
try {
  config = loadEdgeConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p.variable} ${p.reason}\n`);
    process.exit(2);
  }
  throw err;
}

const app = Fastify({ logger: loggerOptions(config.LOG_LEVEL), bodyLimit: config.BODY_LIMIT_BYTES, ...SERVER_OPTIONS, disableRequestLogging: config.LOG_LEVEL !== 'debug' && config.LOG_LEVEL !== 'trace' });
await app.register(edgeApp, { config });
await runServer(app, { host: config.HOST, port: config.PORT, drainMs: config.SHUTDOWN_DRAIN_MS });
