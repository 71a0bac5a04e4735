export { loadLauncherConfig, launcherConfigSchema, type LauncherConfig } from './config.ts';
export { startSystem, type RunningSystem, type StartSystemOptions } from './system.ts';
export { SERVICES, type MountedService, type MountContext } from './services.ts';
export { startPrivateRedis, type PrivateRedis, type PrivateRedisOptions } from './private-redis.ts';
export { lockDataDir, DataDirInUseError, type DataDirLock } from './data-dir-lock.ts';
export { ensureAdminKey } from './admin-key.ts';
export { startCorrelatorProcess, type CorrelatorProcess, type CorrelatorProcessOptions } from './correlator-child.ts';
