import Fastify from 'fastify';
import { ConfigError } from '@repute/config';
import { loggerOptions, runServer, SERVER_OPTIONS } from '@repute/http';
import app from './app.ts';
import { loadIngestConfig } from './config.ts';

let config;
try {
  config = loadIngestConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p.variable}: ${p.reason}\n`);
    process.exit(2);
  }
  throw err;
}

const fastify = Fastify({ logger: loggerOptions(config.LOG_LEVEL), bodyLimit: config.BODY_LIMIT_BYTES, ...SERVER_OPTIONS });
await fastify.register(app, { config });
await runServer(fastify, { host: config.HOST, port: config.PORT, drainMs: config.SHUTDOWN_DRAIN_MS });
