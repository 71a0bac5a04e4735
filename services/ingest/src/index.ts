export { default as ingestApp, type IngestAppOptions } from './app.ts';
export { loadIngestConfig, ingestConfigSchema, type IngestConfig } from './config.ts';
