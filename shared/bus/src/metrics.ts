import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Bus } from './types.ts';

function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Wraps a bus so that it reports publish latency, publish errors and, for every group it
 * subscribed, the consumer lag (`repute_bus_consumer_lag_messages{topic,group}`), read from the
 * broker at scrape time.
 */
export function instrumentBus(bus: Bus, registry: Registry): Bus {
  const groups = new Map<string, { topic: string; group: string }>();
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
  metric(registry, 'repute_bus_consumer_lag_messages', () => new Gauge({
    name: 'repute_bus_consumer_lag_messages',
    help: 'Messages of a topic not yet acknowledged by a consumer group.',
    labelNames: ['topic', 'group'],
    registers: [registry],
    async collect() {
      await Promise.all([...groups.values()].map(async ({ topic, group }) => {
        try {
          this.set({ topic, group }, await bus.lag(topic, group));
        } catch {
          // An unreachable broker leaves the last value; readiness reports the outage.
        }
      }));
    },
  }));
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
      groups.set(`${options.topic}\u0000${options.group}`, { topic: options.topic, group: options.group });
      return sub;
    },
    lag: (topic, group) => bus.lag(topic, group),
    ready: () => bus.ready(),
    read: (topic, options) => bus.read(topic, options),
    close: () => bus.close(),
  };
}
