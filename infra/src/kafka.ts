import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './find-binary.ts';
import { freePort } from './free-port.ts';
import { findJava } from './java.ts';
import { ensureKafkaJars } from './kafka-jars.ts';
import { kafkaMetadataBrokers } from './kafka-probe.ts';
import { KAFKA_LOG4J2, kafkaServerProperties, randomClusterId, type KafkaVoter } from './kafka-config.ts';
import { waitFor } from './wait.ts';

export type { KafkaVoter } from './kafka-config.ts';

export interface KafkaOptions {
  /** Folder for the settings, the partition logs and `kafka.log`; a temporary one (removed by close) when absent. */
  dataDir?: string;
  /** Loopback address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Client (PLAINTEXT) port; a free one when absent. */
  port?: number;
  /** KRaft controller port; a free one when absent. */
  controllerPort?: number;
  /** KRaft node id; 1 by default (or the one already formatted into `dataDir`). */
  nodeId?: number;
  /** Alias of `nodeId`. */
  brokerId?: number;
  /** The controller quorum when this node is one of several; by default the node alone. */
  voters?: KafkaVoter[];
  /** Cluster id to format a new data folder with (all nodes of a cluster share one); random by default. */
  clusterId?: string;
  /** Extra or overriding broker settings (server.properties keys). */
  properties?: Record<string, string | number | boolean>;
  /** JVM options replacing the default heap and GC settings. */
  jvmArgs?: string[];
  /** How long to wait for the broker to serve metadata; 120 s by default. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface KafkaBroker {
  /** Bootstrap servers for clients, `host:port`. */
  readonly brokers: string[];
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly dataDir: string;
  /** The broker's own log (stdout and stderr of the JVM). */
  readonly logFile: string;
  /** Stops the broker (SIGTERM, then SIGKILL after a grace period), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data folder, after a stop. */
  start(): Promise<void>;
  /** Stops the broker and removes its data folder when it was a temporary one. */
  close(): Promise<void>;
  /** Whether the process is running. */
  running(): boolean;
}

const DEFAULT_JVM_ARGS = [
  '-Xms256m', '-Xmx1g',
  '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true',
];
// The formatter is a short one-shot: C1 only and the serial collector start fastest.
const TOOL_JVM_ARGS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];
const STOP_GRACE_MS = 20_000;

/**
 * Starts a real Apache Kafka node (broker and KRaft controller in one JVM) on loopback from the
 * Maven Central jars, formats its storage on first start, and waits until it serves metadata
 * with itself registered.
 */
export async function startKafka(options: KafkaOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const java = findJava();
  const { libs, version } = await ensureKafkaJars(options.log);
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'repute-kafka-'));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const formatted = readMetaProperties(logDir);
  const nodeId = options.nodeId ?? options.brokerId ?? formatted?.nodeId ?? 1;
  if (formatted !== undefined && formatted.nodeId !== nodeId) {
    throw new Error(`${logDir} was formatted for node ${formatted.nodeId}, not ${nodeId}`);
  }
  const clusterId = formatted?.clusterId ?? options.clusterId ?? randomClusterId();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const voters = options.voters ?? [{ nodeId, host, controllerPort }];

  const serverProperties = join(dataDir, 'server.properties');
  const log4j = join(dataDir, 'log4j2.properties');
  const logFile = join(dataDir, 'kafka.log');
  writeFileSync(serverProperties, kafkaServerProperties({
    nodeId, host, port, controllerPort, voters, logDir, ...(options.properties ? { overrides: options.properties } : {}),
  }));
  writeFileSync(log4j, KAFKA_LOG4J2);
  const classpath = ['-cp', `${libs}/*`, `-Dlog4j2.configurationFile=${log4j}`];
  const address = `${host}:${port}`;
  let child: ChildProcess | undefined;

  const format = async (): Promise<void> => {
    const started = Date.now();
    const code = await runToEnd(spawnJava(java, [...TOOL_JVM_ARGS, ...classpath, 'kafka.tools.StorageTool',
      'format', '-t', clusterId, '-c', serverProperties, '--ignore-formatted'], logFile));
    if (code !== 0) throw new Error(`formatting Kafka storage failed (exit ${code}):\n${tail(logFile)}`);
    log(`formatted Kafka storage in ${logDir} (cluster ${clusterId}) in ${Date.now() - started} ms`);
  };

  const start = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) return;
    const started = Date.now();
    if (readMetaProperties(logDir) === undefined) await format();
    const proc = spawnJava(java, [...(options.jvmArgs ?? DEFAULT_JVM_ARGS), ...classpath, 'kafka.Kafka', serverProperties], logFile);
    child = proc;
    // A crashed or interrupted parent must not leave a broker behind.
    const killOnExit = (): void => { proc.kill('SIGKILL'); };
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
    try {
      await waitFor(`Kafka on ${address}`, async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          throw new Error(`Kafka exited with ${proc.exitCode ?? proc.signalCode}:\n${tail(logFile)}`);
        }
        return (await brokerRegistered(host, port, nodeId)) ? true : undefined;
      }, options.startTimeoutMs ?? 120_000, 200);
    } catch (err) {
      await stop();
      throw err;
    }
    log(`Kafka ${version} listening on ${address} (node ${nodeId}, data in ${dataDir}) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    // A controlled shutdown flushes the logs; past the grace period data loss is the lesser evil.
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    brokers: [address],
    host,
    port,
    controllerPort,
    nodeId,
    clusterId,
    dataDir,
    logFile,
    start,
    stop,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    close: async () => {
      await stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// setpriv asks the kernel to kill the JVM when its parent dies, even by SIGKILL, which no
// 'exit' handler can catch; without setpriv the 'exit' handler is the only guard.
const setpriv = findBinary('setpriv');

function spawnJava(java: string, args: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    // The JVM writes to the file directly: a pipe would stall the broker whenever the parent's
    // event loop is busy, as it is while tests run in it.
    const [command, commandArgs] = setpriv === undefined
      ? [java, args]
      : [setpriv, ['--pdeathsig', 'KILL', '--', java, ...args]];
    return spawn(command, commandArgs, { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
}

async function runToEnd(child: ChildProcess): Promise<number> {
  return await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

function readMetaProperties(logDir: string): { nodeId: number; clusterId: string } | undefined {
  const path = join(logDir, 'meta.properties');
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  const nodeId = /^node\.id=(\d+)$/m.exec(text)?.[1];
  const clusterId = /^cluster\.id=(\S+)$/m.exec(text)?.[1];
  if (nodeId === undefined || clusterId === undefined) return undefined;
  return { nodeId: Number(nodeId), clusterId };
}

/** True once the broker answers a metadata request that lists this node (registered and unfenced). */
async function brokerRegistered(host: string, port: number, nodeId: number): Promise<boolean> {
  const brokers = await kafkaMetadataBrokers(host, port);
  return brokers?.some((b) => b.nodeId === nodeId) ?? false;
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
