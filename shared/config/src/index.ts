export { loadConfig, type LoadConfigOptions } from './load-config.ts';
export { ConfigError, type ConfigProblem } from './config-error.ts';
export { describeConfig } from './describe-config.ts';
export { httpConfig, redisConfig, busConfig, clickhouseConfig, dataConfig } from './fragments.ts';
export { default as Type, type Static } from 'typebox';
