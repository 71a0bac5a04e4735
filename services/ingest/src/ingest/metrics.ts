import { Counter, type Registry } from 'prom-client';

export interface IngestMetrics {
  events: Counter<'outcome' | 'reason'>;
  requests: Counter<'outcome'>;
}

/** Ingest counters, registered once per registry (services mounted together share it). */
export function ingestMetrics(registry: Registry): IngestMetrics {
  const existing = registry.getSingleMetric('repute_ingest_events_total') as Counter<'outcome' | 'reason'> | undefined;
  const events = existing ?? new Counter({
    name: 'repute_ingest_events_total',
    help: 'Telemetry events accepted (published) or rejected, by rejection reason.',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  });
  const requests = (registry.getSingleMetric('repute_ingest_requests_total') as Counter<'outcome'> | undefined) ?? new Counter({
    name: 'repute_ingest_requests_total',
    help: 'Telemetry requests by outcome (accepted, bus_unavailable).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return { events, requests };
}
