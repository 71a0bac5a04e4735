export { default as correlatorApp, type CorrelatorAppOptions } from './app.ts';
export { startWorker, type CorrelatorWorker } from './worker.ts';
export { correlatorConfig, type CorrelatorConfig } from './config.ts';
export { createCorrelator, type Correlator, type CorrelatorDeps, type IndicatorRef, type VerdictChange, type BatchResult } from './correlator.ts';
export { propagateOnce, type PropagationResult } from './propagation/propagate.ts';
