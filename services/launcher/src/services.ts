import type { FastifyInstance } from 'fastify';
import { analystApp } from '@repute/analyst';
import type { KeyStore } from '@repute/auth';
import type { Bus } from '@repute/bus';
import { correlatorApp } from '@repute/correlator';
import { dnsApp } from '@repute/dns';
import { edgeApp } from '@repute/edge';
import { ingestApp } from '@repute/ingest';
import type { LauncherConfig } from './config.ts';
import type { CorrelatorProcess } from './correlator-child.ts';
import { mountCorrelatorProcess } from './correlator-mount.ts';

/** What the launcher shares with every mounted service. */
export interface MountContext {
  config: LauncherConfig;
  /** The one key store behind the one auth plugin. */
  keys: KeyStore;
  /** The telemetry bus, shared by the services that publish. */
  bus: Bus;
  /** The correlator's own process, when it runs in one (REPUTE_CORRELATOR_PROCESS). */
  correlator?: CorrelatorProcess | undefined;
}

/** A service as the launcher mounts it: its plugin and what the banner says about it. */
export interface MountedService {
  name: string;
  /** What it serves, for the banner: paths under the one address. */
  paths: string[];
  mount(app: FastifyInstance, context: MountContext): Promise<void>;
}

/**
 * The services of the one-machine deployment, in mount order: the edge first (it tails the
 * update stream that feeds the shared auth plugin's revocations), then whatever publishes and
 * consumes, then the analyst API and its console. A new service is one more entry.
 */
export const SERVICES: readonly MountedService[] = [
  {
    name: 'edge',
    paths: ['/v1/reputation/…', '/v1/filters/…'],
    async mount(app, { config }) {
      await app.register(edgeApp, { config });
    },
  },
  {
    name: 'ingest',
    paths: ['/v1/telemetry'],
    async mount(app, { config, bus, keys }) {
      await app.register(ingestApp, { config, bus, keys });
    },
  },
  {
    name: 'correlator',
    paths: ['(worker on the telemetry bus)'],
    async mount(app, { config, correlator }) {
      if (correlator !== undefined) mountCorrelatorProcess(app, correlator);
      else await app.register(correlatorApp, { config });
    },
  },
  {
    name: 'dns',
    paths: ['(DNSBL on UDP and TCP DNS_PORT, 5353 by default)'],
    async mount(app, { config }) {
      // A busy port (5353 is also mDNS) leaves the HTTP APIs serving and logs a warning instead
      // of failing the start. The one Redis server is the edge's `redis` readiness check already.
      await app.register(dnsApp, { config, optionalBind: true, redisReadiness: false });
    },
  },
  {
    name: 'analyst',
    paths: ['/console/', '/v1/indicators/…', '/v1/hunts/…', '/v1/overrides/…', '/v1/feeds/…', '/taxii2/', '/docs'],
    async mount(app, { config, correlator }) {
      // The embedded engine is the correlator process's (chDB opens a data folder once per
      // process): the analyst's ClickHouse clients forward their calls there.
      const analystConfig = correlator !== undefined && config.CLICKHOUSE_URL === '' ? { ...config, CLICKHOUSE_ENGINE_CHANNEL: correlator.channel } : config;
      await app.register(analystApp, { config: analystConfig });
    },
  },
];
