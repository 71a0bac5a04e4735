import type { FastifyInstance } from 'fastify';
import { analystApp } from '@repute/analyst';
import type { KeyStore } from '@repute/auth';
import type { Bus } from '@repute/bus';
import { correlatorApp } from '@repute/correlator';
import { edgeApp } from '@repute/edge';
import { ingestApp } from '@repute/ingest';
import type { LauncherConfig } from './config.ts';

/** What the launcher shares with every mounted service. */
export interface MountContext {
  config: LauncherConfig;
  /** The one key store behind the one auth plugin. */
  keys: KeyStore;
  /** The telemetry bus, shared by the services that publish. */
  bus: Bus;
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
    async mount(app, { config }) {
      await app.register(correlatorApp, { config });
    },
  },
  {
    name: 'analyst',
    paths: ['/console/', '/v1/indicators/…', '/v1/hunts/…', '/v1/overrides/…', '/v1/feeds/…', '/taxii2/', '/docs'],
    async mount(app, { config }) {
      await app.register(analystApp, { config });
    },
  },
];
