import Fastify from 'fastify';
import { ConfigError, loadConfig } from '@repute/config';
import { loggerOptions, runServer, SERVER_OPTIONS } from '@repute/http';
import app from './app.ts';
import { correlatorConfig } from './config.ts';

let config;
try {
  config = loadConfig(correlatorConfig);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const fastify = Fastify({ logger: loggerOptions(config.LOG_LEVEL), ...SERVER_OPTIONS });
await fastify.register(app, { config });
await runServer(fastify, { host: config.HOST, port: config.PORT, drainMs: config.SHUTDOWN_DRAIN_MS });
