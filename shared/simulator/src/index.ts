export { runSimulation, type SimulationOptions, type SimulationReport, type CampaignResult } from './run-simulation.ts';
export { generateScenario, streamNdjson, type ScenarioOptions } from './generate.ts';
export { evaluate, SCORED_KINDS, type Evaluation, type KindQuality, type Quality, type FalsePositive } from './evaluate.ts';
export { renderSvg } from './report-svg.ts';
export { renderText } from './report-text.ts';
export { createRng, type Rng } from './rng.ts';
export { SimulatorHttpError } from './http-client.ts';
export type { Scenario, SimEvent, TruthEntry, CampaignInfo } from './types.ts';
