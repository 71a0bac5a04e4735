// Filled in by the Kafka work: starts a real Apache Kafka broker (KRaft) from Maven Central jars.
export interface KafkaBroker {
  readonly brokers: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaOptions {
  log?: (line: string) => void;
  dataDir?: string;
}

export async function startKafka(_options: KafkaOptions = {}): Promise<KafkaBroker> {
  throw new Error('startKafka is not implemented yet');
}
