export { default as edgeApp, type EdgeAppOptions } from './app.ts';
export { edgeConfigSchema, loadEdgeConfig, type EdgeConfig } from './config.ts';
