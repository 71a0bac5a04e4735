export { readRuntimeState, writeRuntimeState, clearRuntimeState, type RuntimeState } from './runtime-state.ts';
export { readRedisPort, writeRedisPort } from './redis-port.ts';
