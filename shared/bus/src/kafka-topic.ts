import kafkajs from 'kafkajs';
import type { Admin, ConfigEntries } from 'kafkajs';
import type { BusLogger } from './log.ts';

const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** How the bus creates a topic, and the durability floor it holds an existing one to. */
export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
  minInSyncReplicas: number;
}

const MIN_ISR = 'min.insync.replicas';
// A config change is applied by the controller and reaches each broker's metadata a moment
// later; describeConfigs answered by a broker still behind shows the old value.
const SETTLE_TIMEOUT_MS = 15_000;
const SETTLE_POLL_MS = 100;

async function describe(admin: Admin, topic: string, configNames?: string[]): Promise<ConfigEntries[]> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, ...(configNames === undefined ? {} : { configNames }) }],
  });
  return described.resources[0]?.configEntries ?? [];
}

/** The topic's own min.insync.replicas, undefined when it inherits the broker's. */
function ownMinIsr(entries: ConfigEntries[]): number | undefined {
  const entry = entries.find((e) => e.configName === MIN_ISR);
  return entry?.configSource === ConfigSource.TOPIC_CONFIG ? Number(entry.configValue) : undefined;
}

/**
 * Creates the topic with the spec (min.insync.replicas set on the topic in the same request).
 * An existing topic keeps its partitions and replicas, but one whose own min.insync.replicas is
 * absent or lower than the spec's is raised to it, and this resolves once describeConfigs shows
 * the new value. Never lowered: an operator's stricter setting stands. Raising fails softly
 * (logged, the topic used as it is): publishing must not depend on the right to alter configs.
 */
export async function provisionTopic(admin: Admin, topic: string, spec: TopicSpec, log: BusLogger): Promise<void> {
  const created = await admin.createTopics({
    topics: [{
      topic,
      numPartitions: spec.partitions,
      replicationFactor: spec.replicationFactor,
      configEntries: [{ name: MIN_ISR, value: String(spec.minInSyncReplicas) }],
    }],
    waitForLeaders: true,
  });
  if (created) return;
  try {
    await raiseMinIsr(admin, topic, spec.minInSyncReplicas, log);
  } catch (err) {
    log.warn({ err, topic, minInSyncReplicas: spec.minInSyncReplicas }, 'could not set min.insync.replicas on an existing topic; using it as it is');
  }
}

async function raiseMinIsr(admin: Admin, topic: string, wanted: number, log: BusLogger): Promise<void> {
  const entries = await describe(admin, topic);
  const own = ownMinIsr(entries);
  if (own !== undefined && own >= wanted) return;
  // Above the replica count, every acks=all publish would be refused (NOT_ENOUGH_REPLICAS).
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const replicas = Math.min(...(meta.topics[0]?.partitions ?? []).map((p) => p.replicas.length));
  if (replicas < wanted) {
    log.warn({ topic, replicas, minInSyncReplicas: wanted }, 'existing topic has fewer replicas than min.insync.replicas asks; left as it is');
    return;
  }
  // AlterConfigs (the only config call kafkajs has) replaces the topic's whole set of own
  // settings: the others are sent again as they are, which a secret one cannot be.
  const others = entries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configName !== MIN_ISR);
  if (others.some((e) => e.isSensitive)) {
    log.warn({ topic, minInSyncReplicas: wanted }, 'existing topic has a secret setting that altering its configs would drop; left as it is');
    return;
  }
  const configEntries = others.map((e) => ({ name: e.configName, value: e.configValue }));
  configEntries.push({ name: MIN_ISR, value: String(wanted) });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries }] });
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while ((ownMinIsr(await describe(admin, topic, [MIN_ISR])) ?? 0) < wanted) {
    if (Date.now() > deadline) throw new Error(`min.insync.replicas of ${topic} not shown as ${wanted} within ${SETTLE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
  log.info({ topic, from: own ?? 'broker default', to: wanted }, 'raised min.insync.replicas of an existing topic');
}
