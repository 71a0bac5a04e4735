import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeMetricsText } from '../src/metrics-text.ts';

test('two registries make one page: each family once, the other process’s series added, ours kept where both report', () => {
  const ours = [
    '# HELP repute_process_cpu_seconds_total CPU.', '# TYPE repute_process_cpu_seconds_total counter', 'repute_process_cpu_seconds_total 5', '',
    '# HELP repute_bus_consumer_lag_messages Lag.', '# TYPE repute_bus_consumer_lag_messages gauge', '',
  ].join('\n');
  const theirs = [
    '# HELP repute_process_cpu_seconds_total CPU.', '# TYPE repute_process_cpu_seconds_total counter', 'repute_process_cpu_seconds_total 2', '',
    '# HELP repute_bus_consumer_lag_messages Lag.', '# TYPE repute_bus_consumer_lag_messages gauge', 'repute_bus_consumer_lag_messages{topic="telemetry.v1",group="correlator"} 0', '',
    '# HELP repute_correlator_events_total Events.', '# TYPE repute_correlator_events_total counter', 'repute_correlator_events_total{outcome="ok"} 7', '',
  ].join('\n');
  assert.equal(mergeMetricsText(ours, theirs), [
    '# HELP repute_process_cpu_seconds_total CPU.', '# TYPE repute_process_cpu_seconds_total counter', 'repute_process_cpu_seconds_total 5', '',
    '# HELP repute_bus_consumer_lag_messages Lag.', '# TYPE repute_bus_consumer_lag_messages gauge', 'repute_bus_consumer_lag_messages{topic="telemetry.v1",group="correlator"} 0', '',
    '# HELP repute_correlator_events_total Events.', '# TYPE repute_correlator_events_total counter', 'repute_correlator_events_total{outcome="ok"} 7', '',
  ].join('\n'));
  assert.equal(mergeMetricsText(ours, ''), ours);
});
