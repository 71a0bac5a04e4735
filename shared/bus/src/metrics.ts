import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Bus } from './types.ts';

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** A consumer group whose lag a registry reports, and the bus that can read it. */
interface LagSource {
  bus: Bus;
  topic: string;
  group: string;
}

// One lag gauge per registry, fed by every instrumented bus that subscribed through it: the
// one-machine launcher registers several buses (ingest's publishes only, the correlator's
// consumes), and a gauge tied to the first bus would never report the consumer's lag.
const LAG_METRIC = 'repute_bus_consumer_lag_messages';
const lagSourcesByRegistry = new WeakMap<Registry, Set<LagSource>>();

function lagSourcesOf(registry: Registry): Set<LagSource> {
  const known = lagSourcesByRegistry.get(registry);
  if (known !== undefined && registry.getSingleMetric(LAG_METRIC) !== undefined) return known;
  const sources = known ?? new Set<LagSource>();
  lagSourcesByRegistry.set(registry, sources);
  // A gauge of that name this module did not create could not see these sources.
  registry.removeSingleMetric(LAG_METRIC);
  const last = new Map<string, number>();
  new Gauge({
    name: LAG_METRIC,
    help: 'Messages of a topic not yet acknowledged by a consumer group.',
    labelNames: ['topic', 'group'],
    registers: [registry],
    async collect() {
      // Two buses consuming the same group see the same broker-side lag: read it once.
      const groups = new Map<string, LagSource>();
      for (const source of sources) groups.set(`${source.topic}\u0000${source.group}`, source);
      await Promise.all([...groups].map(async ([id, { bus, topic, group }]) => {
        try {
          last.set(id, await bus.lag(topic, group));
        } catch {
          // An unreachable broker leaves the last value; readiness reports the outage.
        }
      }));
      // Groups nobody consumes here any more (subscription or bus closed) leave the page.
      for (const id of last.keys()) if (!groups.has(id)) last.delete(id);
      this.reset();
      for (const [id, lag] of last) {
        const { topic, group } = groups.get(id)!;
        this.set({ topic, group }, lag);
      }
    },
  });
  return sources;
}

/**
 * Wraps a bus so that it reports publish latency, publish errors and, for every group it
 * subscribed, the consumer lag (`repute_bus_consumer_lag_messages{topic,group}`), read from the
 * broker at scrape time.
 */
export function instrumentBus(bus: Bus, registry: Registry): Bus {
  const publishSeconds = metric(registry, 'repute_bus_publish_duration_seconds', () => new Histogram({
    name: 'repute_bus_publish_duration_seconds',
    help: 'Time from publish to broker acknowledgement of a batch.',
    labelNames: ['bus', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }));
  const published = metric(registry, 'repute_bus_published_messages_total', () => new Counter({
    name: 'repute_bus_published_messages_total',
    help: 'Messages the broker acknowledged.',
    labelNames: ['bus', 'topic'],
    registers: [registry],
  }));
  const errors = metric(registry, 'repute_bus_publish_errors_total', () => new Counter({
    name: 'repute_bus_publish_errors_total',
    help: 'Publishes that failed (broker unavailable or rejected).',
    labelNames: ['bus', 'code'],
    registers: [registry],
  }));
  const lagSources = lagSourcesOf(registry);
  return {
    kind: bus.kind,
    async publish(topic, messages) {
      const end = publishSeconds.startTimer({ bus: bus.kind });
      try {
        await bus.publish(topic, messages);
        end({ outcome: 'ok' });
        published.inc({ bus: bus.kind, topic }, messages.length);
      } catch (err) {
        end({ outcome: 'error' });
        errors.inc({ bus: bus.kind, code: String((err as { code?: unknown }).code ?? 'unknown') });
        throw err;
      }
    },
    async subscribe(options) {
      const sub = await bus.subscribe(options);
      const source: LagSource = { bus, topic: options.topic, group: options.group };
      lagSources.add(source);
      return {
        // A closed subscription no longer consumes; its group's lag would only grow.
        close: async () => { lagSources.delete(source); await sub.close(); },
        abort: async () => { lagSources.delete(source); await sub.abort(); },
      };
    },
    lag: (topic, group) => bus.lag(topic, group),
    ready: () => bus.ready(),
    read: (topic, options) => bus.read(topic, options),
    async close() {
      for (const source of lagSources) if (source.bus === bus) lagSources.delete(source);
      await bus.close();
    },
  };
}
