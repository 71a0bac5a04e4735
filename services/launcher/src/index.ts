export { loadLauncherConfig, launcherConfigSchema, type LauncherConfig } from './config.ts';
export { startSystem, type RunningSystem, type StartSystemOptions } from './system.ts';
export { SERVICES, type MountedService, type MountContext } from './services.ts';
export { startPrivateRedis, type PrivateRedisOptions } from './private-redis.ts';
export { ensureAdminKey } from './admin-key.ts';
