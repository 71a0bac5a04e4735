export { summarizeProfile, type CpuProfile, type ProfileSummary } from './flame-graph.ts';
export { barChart, cdfChart } from './svg-charts.ts';
export { createLatencyRecorder, percentiles, type Latency } from './latency.ts';
