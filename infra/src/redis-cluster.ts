import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findBinary } from './find-binary.ts';
import { freePort } from './free-port.ts';
import { startRedis, type RedisServer } from './redis.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const SLOTS = 16384;

export interface RedisClusterOptions {
  /** Number of masters, each owning an even share of the 16384 slots; 3 by default. */
  masters?: number;
  /** Node timeout in ms: how long a silent master stays in the slot map before it is failed. */
  nodeTimeoutMs?: number;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RedisCluster {
  /** `host:port` of every master, the value REDIS_CLUSTER_NODES takes. */
  readonly seeds: string[];
  readonly nodes: RedisServer[];
  /** Stops every node and removes their data folders. */
  close(): Promise<void>;
}

/** Runs one command on a node through redis-cli and returns its raw reply. */
export async function clusterCommand(cli: string, port: number, args: string[]): Promise<string> {
  const { stdout } = await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5_000 });
  return stdout.trim();
}

function infoField(info: string, field: string): string | undefined {
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

/**
 * Starts a Redis Cluster of masters on loopback: one cluster-enabled redis-server per master,
 * slots assigned by hand and the nodes introduced with CLUSTER MEET. `redis-cli --cluster create`
 * would do the same but asks for a confirmation and needs a bus port of port + 10000, which
 * an ephemeral port may not have; an explicit cluster-port avoids both.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const count = options.masters ?? 3;
  const cli = findBinary('redis-cli');
  if (cli === undefined) throw new Error('redis-cli is missing (Debian: the redis-tools package, a dependency of redis-server)');
  const plan: { port: number; busPort: number }[] = [];
  for (let i = 0; i < count; i++) plan.push({ port: await freePort(), busPort: await freePort() });

  const started = await Promise.allSettled(plan.map((p) => startRedis({
    port: p.port,
    appendOnly: false,
    extraArgs: [
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      '--cluster-port', String(p.busPort),
      '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2_000),
    ],
    ...(options.log !== undefined ? { log: options.log } : {}),
  })));
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const close = async (): Promise<void> => { await Promise.allSettled(nodes.map((n) => n.close())); };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }

  try {
    for (let i = 0; i < count; i++) {
      const first = Math.floor((SLOTS * i) / count);
      const last = Math.floor((SLOTS * (i + 1)) / count) - 1;
      await clusterCommand(cli, plan[i]!.port, ['CLUSTER', 'ADDSLOTSRANGE', String(first), String(last)]);
    }
    for (const p of plan.slice(1)) {
      await clusterCommand(cli, plan[0]!.port, ['CLUSTER', 'MEET', '127.0.0.1', String(p.port), String(p.busPort)]);
    }
    // Every node must see the whole slot map before a client's CLUSTER SLOTS is complete.
    await waitFor(`a ${count}-master Redis Cluster in state ok`, async () => {
      for (const p of plan) {
        const info = await clusterCommand(cli, p.port, ['CLUSTER', 'INFO']);
        if (infoField(info, 'cluster_state') !== 'ok') return undefined;
        if (infoField(info, 'cluster_known_nodes') !== String(count)) return undefined;
        if (infoField(info, 'cluster_slots_ok') !== String(SLOTS)) return undefined;
      }
      return true;
    }, options.startTimeoutMs ?? 20_000, 100);
  } catch (err) {
    await close();
    throw err;
  }
  options.log?.(`redis cluster of ${count} masters on ${plan.map((p) => p.port).join(', ')}`);
  return { seeds: nodes.map((n) => `${n.host}:${n.port}`), nodes, close };
}
