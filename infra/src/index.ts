export { freePort } from './free-port.ts';
export { waitFor } from './wait.ts';
export { findBinary, aptInstall } from './find-binary.ts';
export { findJava } from './java.ts';
export { startRedis, ensureRedisServer, pingRedis, type RedisServer, type RedisServerOptions } from './redis.ts';
export { startKafka, type KafkaBroker, type KafkaOptions, type KafkaVoter } from './kafka.ts';
export { ensureKafkaJars, cacheDir, type KafkaJars } from './kafka-jars.ts';
export { kafkaServerProperties, randomClusterId, type KafkaNodeConfig } from './kafka-config.ts';
