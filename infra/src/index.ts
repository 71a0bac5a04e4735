export { freePort } from './free-port.ts';
export { waitFor } from './wait.ts';
export { findBinary, aptInstall } from './find-binary.ts';
export { startRedis, ensureRedisServer, pingRedis, type RedisServer, type RedisServerOptions } from './redis.ts';
export { startKafka, type KafkaBroker, type KafkaOptions } from './kafka.ts';
