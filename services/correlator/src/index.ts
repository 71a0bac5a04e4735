export { default as correlatorApp, type CorrelatorAppOptions } from './app.ts';
export { startWorker, type CorrelatorWorker } from './worker.ts';
export { correlatorConfig, type CorrelatorConfig } from './config.ts';
export { createCorrelator, type Correlator, type CorrelatorDeps, type IndicatorRef, type VerdictChange, type BatchResult } from './correlator.ts';
export { applyOverride, liftOverride, type OverrideInput, type OverrideLift } from './overrides/overrides.ts';
export { propagateOnce, type PropagationResult } from './propagation/propagate.ts';
export { loadPolicy, buildPolicy, DEFAULT_POLICY_PATH, type Policy } from './policy/load-policy.ts';
export { assess, type Assessment, type IndicatorState, type Reason } from './scoring/score.ts';
export { CorrelatorError } from './correlator-error.ts';
