import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import { AnalyticsError } from './analytics-error.ts';
import type { EngineChannel } from './engine-channel.ts';
import { createForwardingConnection, type Connection } from './forwarding-connection.ts';

/** The subset of `clickhouseConfig` (from `@repute/config`) the client needs. */
export interface ClickHouseConfig {
  /** Server URL; empty or absent runs the embedded engine (chDB) on disk. */
  CLICKHOUSE_URL?: string;
  CLICKHOUSE_USER?: string;
  CLICKHOUSE_PASSWORD?: string;
  /** Folder of the embedded engine's data. */
  CLICKHOUSE_DATA_DIR?: string;
}

/** Beside the variables: where the embedded engine is when another process owns it. */
export interface EngineChannelConfig {
  /**
   * Set by a launcher whose embedded engine runs in another process (never from the
   * environment, and kept out of `ClickHouseConfig`, which holds variables only): with no
   * `CLICKHOUSE_URL`, the client forwards every call over this channel to that process
   * (`serveEngine`) instead of opening the engine here.
   */
  CLICKHOUSE_ENGINE_CHANNEL?: () => EngineChannel | undefined;
}

export type { ClickHouseClient };

/** Inserts of a body already encoded, straight to the embedded engine (see `insertEncoded`). */
export interface EncodedInserter {
  rawInsert(params: { table: string; columns: readonly string[]; format: 'JSONCompactEachRow'; values: Buffer; settings?: Record<string, string | number> }): Promise<unknown>;
}

/** The embedded engine's raw insert of each embedded client. */
export const embeddedInserters = new WeakMap<ClickHouseClient, EncodedInserter>();

// chDB is one engine per process bound to one data path: a second path while the first is open
// is refused by the engine itself, so remember the live one and say so clearly instead.
let livePath: string | undefined;
let liveClients = 0;

/** The embedded engine opened on `path` in this process; `release` once per open. */
export interface OpenEngine {
  connection: ChdbConnection;
  release(): void;
}

/** Opens (or shares) the process's embedded engine on `path`, refusing a second path. */
export function openEngine(path: string): OpenEngine {
  if (livePath !== undefined && livePath !== path && liveClients > 0) {
    throw new AnalyticsError(
      'REPUTE_ANALYTICS_ENGINE_PATH_CONFLICT',
      `the embedded ClickHouse engine is already open on ${livePath}; one process holds one data path (asked for ${path})`,
    );
  }
  mkdirSync(path, { recursive: true });
  let connection;
  try {
    connection = createChdbConnection({ path });
  } catch (err) {
    throw new AnalyticsError('REPUTE_ANALYTICS_ENGINE_UNAVAILABLE', `cannot open the embedded ClickHouse engine on ${path}`, { cause: err });
  }
  livePath = path;
  liveClients += 1;
  let released = false;
  return {
    connection,
    release() {
      if (released) return;
      released = true;
      liveClients -= 1;
      if (liveClients === 0) livePath = undefined;
    },
  };
}

/**
 * A `@clickhouse/client` client: over HTTP when `CLICKHOUSE_URL` is set, otherwise over the
 * embedded engine on disk at `CLICKHOUSE_DATA_DIR`. Every embedded client of a process shares
 * the one engine session (chDB reference-counts it by path), so create as many as is convenient
 * and close each one. With `CLICKHOUSE_ENGINE_CHANNEL` the engine is another process's.
 */
export function createClickHouse(config: ClickHouseConfig & EngineChannelConfig): ClickHouseClient {
  const url = config.CLICKHOUSE_URL ?? '';
  if (url !== '') {
    return createClient({
      url,
      username: config.CLICKHOUSE_USER ?? 'default',
      password: config.CLICKHOUSE_PASSWORD ?? '',
      // Batches are already large; compression only costs CPU on a shared box.
      compression: { request: false, response: false },
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }
  if (config.CLICKHOUSE_ENGINE_CHANNEL !== undefined) {
    return createClient({ connection: createForwardingConnection({ channel: config.CLICKHOUSE_ENGINE_CHANNEL }) });
  }
  const engine = openEngine(resolve(config.CLICKHOUSE_DATA_DIR ?? './var/clickhouse'));
  // chdb declares the Connection contract from its own copy of @clickhouse/client-common; the
  // shapes are the same, the nominal types are not.
  const client = createClient({ connection: engine.connection as unknown as Connection });
  embeddedInserters.set(client, engine.connection.chdb as unknown as EncodedInserter);
  const close = client.close.bind(client);
  client.close = async () => {
    engine.release();
    await close();
  };
  return client;
}

/** Whether the client runs on the embedded engine (for settings that only a server knows). */
export function isEmbedded(config: ClickHouseConfig): boolean {
  return (config.CLICKHOUSE_URL ?? '') === '';
}
