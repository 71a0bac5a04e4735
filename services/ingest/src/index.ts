export { default as ingestApp, type IngestAppOptions } from './app.ts';
export { loadIngestConfig, ingestConfigSchema, type IngestConfig } from './config.ts';
export { listDeadLetters, replayDeadLetters, REPLAY_GROUP, type DeadLetter } from './dlq/dead-letters.ts';
