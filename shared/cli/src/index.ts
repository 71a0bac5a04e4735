export { readRuntimeState, writeRuntimeState, clearRuntimeState, readRedisPort, writeRedisPort, type RuntimeState } from './runtime-state.ts';
