export { ReputeError, problemType, type ReputeErrorOptions } from './repute-error.ts';
export { default as problemPlugin, sendProblem, fieldName, type FieldProblem, type ProblemBody } from './problem-plugin.ts';
export { default as observabilityPlugin, type Readiness, type ReadinessCheck, type ObservabilityOptions } from './observability-plugin.ts';
export { loggerOptions, REDACTED_PATHS } from './logger-options.ts';
export { runServer, type RunServerOptions } from './run-server.ts';
export type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
export { LatencyHistogram, type HistogramSeries } from './latency-histogram.ts';

/**
 * Longest path parameter the servers accept, in encoded characters. The contract takes URLs of
 * up to 4096 characters, which percent-encoding can triple; Fastify's default (100) refused most
 * real phishing URLs on the path routes with 414.
 */
export const MAX_PARAM_LENGTH = 16_384;
