export type { Bus, BusMessage, OutgoingMessage, RejectedMessage, SubscribeOptions, Subscription } from './types.ts';
export { DLQ_HEADERS } from './types.ts';
export { BusError, isBusError } from './errors.ts';
export { createBus, type BusConfig, type CreateBusOptions } from './create-bus.ts';
export { RedisBus, type RedisBusOptions } from './redis-bus.ts';
export { KafkaBus, type KafkaBusOptions } from './kafka-bus.ts';
export type { KafkaCompression } from './kafka-compression.ts';
export { instrumentBus } from './metrics.ts';
export { failFastWhileDown, type FailFastOptions } from './fail-fast.ts';
export type { BusLogger } from './log.ts';
export {
  dropDeadLetter, listDeadLetters, readDeadLetter, replayDeadLetter, replayDeadLetters, REPLAY_GROUP, settledTopic,
  type DeadLetter, type DeadLetterDetail, type Settlement,
} from './dead-letters.ts';
