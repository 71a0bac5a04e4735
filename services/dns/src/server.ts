import Fastify from 'fastify';
import { ConfigError } from '@repute/config';
import { loggerOptions, runServer, SERVER_OPTIONS } from '@repute/http';
import dnsApp from './app.ts';
import { loadDnsConfig, type DnsConfig } from './config.ts';

let config: DnsConfig;
try {
  config = loadDnsConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p.variable} ${p.reason}\n`);
    process.exit(2);
  }
  throw err;
}

// The HTTP server carries /healthz, /readyz and /metrics only; queries arrive on DNS_PORT.
const app = Fastify({ logger: loggerOptions(config.LOG_LEVEL), ...SERVER_OPTIONS });
await app.register(dnsApp, { config });
await runServer(app, { host: config.HOST, port: config.PORT, drainMs: config.SHUTDOWN_DRAIN_MS });
