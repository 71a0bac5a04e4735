import { randomBytes } from 'node:crypto';

/** One member of the KRaft controller quorum. */
export interface KafkaVoter {
  nodeId: number;
  host: string;
  controllerPort: number;
}

export interface KafkaNodeConfig {
  nodeId: number;
  host: string;
  /** Client (PLAINTEXT) listener port. */
  port: number;
  /** KRaft controller listener port. */
  controllerPort: number;
  /** Every controller of the cluster, this node included; a single node lists only itself. */
  voters: KafkaVoter[];
  /** Folder for the partition logs and the metadata log. */
  logDir: string;
  /** Extra or overriding broker settings. */
  overrides?: Record<string, string | number | boolean>;
}

/**
 * Settings for a node that is both broker and controller (KRaft combined mode). The replication
 * factors follow the cluster size, so the same function serves one node and a three-node cluster.
 */
export function kafkaServerProperties(config: KafkaNodeConfig): string {
  const replication = Math.min(3, config.voters.length);
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': config.nodeId,
    // A static quorum: every node is told the voters up front, so formatting needs no
    // `--standalone`/`--initial-controllers` and a multi-node cluster formats each node alike.
    'controller.quorum.voters': config.voters.map((v) => `${v.nodeId}@${v.host}:${v.controllerPort}`).join(','),
    'listeners': `PLAINTEXT://${config.host}:${config.port},CONTROLLER://${config.host}:${config.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${config.host}:${config.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': config.logDir,
    'num.partitions': 4,
    'default.replication.factor': replication,
    'min.insync.replicas': replication > 1 ? 2 : 1,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': replication > 1 ? 2 : 1,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': replication > 1 ? 2 : 1,
    // Internal topics default to 50 partitions; creating them dominates the first group join
    // on a 2-core machine, and a development broker never needs that spread.
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.num.partitions': 4,
    // Consumers in tests join at once; the default 3 s delay would only slow every first poll.
    'group.initial.rebalance.delay.ms': 0,
    // Sized for a shared 2-core machine rather than a dedicated server.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 4,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    ...config.overrides,
  };
  return `${Object.entries(settings).map(([key, value]) => `${key}=${String(value)}`).join('\n')}\n`;
}

/** A new cluster id in Kafka's format: 16 random bytes, base64url without padding. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Like Kafka's own Uuid.randomUuid: an id starting with '-' reads as an option on a command line.
    if (!id.startsWith('-')) return id;
  }
}

/** Log4j 2 settings: INFO to stdout, which the launcher sends to a file. */
export const KAFKA_LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.state.name = state.change.logger
logger.state.level = WARN
`;
