import { connect } from 'node:net';

/** A broker as listed in a Metadata response. */
export interface KafkaMetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

// Metadata v4: the oldest version every Kafka 4 broker still serves (KIP-896) that is not yet in
// the flexible (tagged-field) encoding, so it stays a few lines to write and read.
const METADATA_API_KEY = 3;
const METADATA_VERSION = 4;

/**
 * Sends one Metadata request for no topics and resolves the brokers the cluster lists, or
 * undefined when the broker does not answer (yet). A broker appears there once it is registered
 * with the controller and unfenced, i.e. ready for clients.
 */
export async function kafkaMetadataBrokers(host: string, port: number, timeoutMs = 2000): Promise<KafkaMetadataBroker[] | undefined> {
  const clientId = Buffer.from('repute-infra-probe');
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let o = request.writeInt32BE(request.length - 4, 0);
  o = request.writeInt16BE(METADATA_API_KEY, o);
  o = request.writeInt16BE(METADATA_VERSION, o);
  o = request.writeInt32BE(1, o); // correlation id
  o = request.writeInt16BE(clientId.length, o);
  o += clientId.copy(request, o);
  o = request.writeInt32BE(0, o); // an empty topic list: brokers only
  request.writeInt8(0, o); // allow_auto_topic_creation = false

  return await new Promise((resolve) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const done = (value: KafkaMetadataBroker[] | undefined): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      try {
        done(parseBrokers(received.subarray(4)));
      } catch {
        done(undefined);
      }
    });
  });
}

function parseBrokers(body: Buffer): KafkaMetadataBroker[] {
  let o = 4 + 4; // correlation id, throttle_time_ms
  const count = body.readInt32BE(o);
  o += 4;
  const brokers: KafkaMetadataBroker[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = body.readInt32BE(o);
    o += 4;
    const hostLength = body.readInt16BE(o);
    o += 2;
    const host = body.toString('utf8', o, o + hostLength);
    o += hostLength;
    const port = body.readInt32BE(o);
    o += 4;
    const rackLength = body.readInt16BE(o); // nullable: -1
    o += 2 + Math.max(0, rackLength);
    brokers.push({ nodeId, host, port });
  }
  return brokers;
}
