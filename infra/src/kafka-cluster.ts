import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { randomClusterId, type KafkaVoter } from './kafka-config.ts';
import { startKafka, type KafkaBroker } from './kafka.ts';

export interface KafkaClusterOptions {
  /** Number of nodes, each broker and controller; 3 by default. */
  nodes?: number;
  /** Parent folder for `node-<id>` data folders; temporary ones when absent. */
  dataDir?: string;
  host?: string;
  properties?: Record<string, string | number | boolean>;
  /** JVM options per node; a 512 MB heap by default, since all nodes share one machine. */
  jvmArgs?: string[];
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface KafkaCluster {
  /** Bootstrap servers of every node. */
  readonly brokers: string[];
  readonly clusterId: string;
  readonly nodes: KafkaBroker[];
  /** Stops every node, keeping data. */
  stop(): Promise<void>;
  /** Starts every node again on its ports and data. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const CLUSTER_JVM_ARGS = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

/**
 * Starts a KRaft cluster of combined broker/controller nodes on loopback, sharing one cluster id
 * and a static controller quorum; replication factors follow the node count (3 → RF 3, min ISR 2).
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const count = options.nodes ?? 3;
  const host = options.host ?? '127.0.0.1';
  const clusterId = randomClusterId();
  const plan: { nodeId: number; port: number; controllerPort: number }[] = [];
  for (let nodeId = 1; nodeId <= count; nodeId++) {
    plan.push({ nodeId, port: await freePort(), controllerPort: await freePort() });
  }
  const voters: KafkaVoter[] = plan.map((p) => ({ nodeId: p.nodeId, host, controllerPort: p.controllerPort }));
  // Nodes must start together: none is ready until a quorum of controllers has elected a leader.
  const results = await Promise.allSettled(plan.map((p) => startKafka({
    ...p,
    host,
    voters,
    clusterId,
    jvmArgs: options.jvmArgs ?? CLUSTER_JVM_ARGS,
    ...(options.dataDir !== undefined ? { dataDir: join(options.dataDir, `node-${p.nodeId}`) } : {}),
    ...(options.properties !== undefined ? { properties: options.properties } : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  })));
  const nodes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(nodes.map((n) => n.close()));
    throw failed.reason;
  }
  return {
    brokers: nodes.flatMap((n) => n.brokers),
    clusterId,
    nodes,
    stop: async () => { await Promise.all(nodes.map((n) => n.stop())); },
    start: async () => { await Promise.all(nodes.map((n) => n.start())); },
    close: async () => { await Promise.all(nodes.map((n) => n.close())); },
  };
}
