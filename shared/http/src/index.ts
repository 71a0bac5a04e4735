export { ReputeError, problemType, type ReputeErrorOptions } from './repute-error.ts';
export { ProblemSchema } from './problem-schema.ts';
export { default as problemPlugin, sendProblem, fieldName, validationProblems, type FieldProblem, type ProblemBody } from './problem-plugin.ts';
export { default as observabilityPlugin, type Readiness, type ReadinessCheck, type ObservabilityOptions } from './observability-plugin.ts';
export { loggerOptions, REDACTED_PATHS } from './logger-options.ts';
export { runServer, type RunServerOptions } from './run-server.ts';
export type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
export { LatencyHistogram, type HistogramSeries } from './latency-histogram.ts';

export { MAX_PARAM_LENGTH, SERVER_OPTIONS, clientErrorHandler, frameworkErrors } from './server-options.ts';
