import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary } from './find-binary.ts';

/** The Maven project whose dependencies are the Kafka runtime (`infra/kafka/pom.xml`). */
export const KAFKA_POM = fileURLToPath(new URL('../kafka/pom.xml', import.meta.url));

export interface KafkaJars {
  /** Kafka version the jars are for. */
  version: string;
  /** Folder holding every jar of the runtime classpath (use as `<libs>/*`). */
  libs: string;
}

/** Where downloaded runtimes are kept: REPUTE_CACHE_DIR, else `~/.cache/repute`. */
export function cacheDir(): string {
  const fromEnv = process.env['REPUTE_CACHE_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(homedir(), '.cache', 'repute');
}

const MARKER = '.resolved';

let inFlight: Promise<KafkaJars> | undefined;

/**
 * Returns the Kafka runtime jars, resolving them from Maven Central with `mvn` the first time
 * (into the cache folder, outside the repository). A marker written after a complete copy, holding
 * the pom's digest, makes later calls free and re-resolves when the pom changes.
 */
export async function ensureKafkaJars(log: (line: string) => void = defaultLog): Promise<KafkaJars> {
  inFlight ??= resolveJars(log).finally(() => { inFlight = undefined; });
  return await inFlight;
}

async function resolveJars(log: (line: string) => void): Promise<KafkaJars> {
  const pom = readFileSync(KAFKA_POM, 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (version === undefined) throw new Error(`${KAFKA_POM} has no <kafka.version> property`);
  const digest = createHash('sha256').update(pom).digest('hex');
  const home = join(cacheDir(), `kafka-${version}`);
  const libs = join(home, 'libs');
  const marker = join(home, MARKER);
  if (readMarker(marker) === digest && existsSync(libs)) return { version, libs };

  const mvn = findBinary('mvn');
  if (mvn === undefined) {
    throw new Error('Maven (mvn) is needed once to fetch the Kafka jars and was not found: install it, e.g. `apt-get install -y maven`');
  }
  mkdirSync(home, { recursive: true });
  // Copy into a private folder and rename it into place, so a concurrent or interrupted run
  // never sees a half-filled libs folder.
  const staging = join(home, `libs.tmp-${process.pid}-${Date.now()}`);
  log(`resolving Kafka ${version} jars with Maven into ${libs} (first time only)…`);
  const started = Date.now();
  try {
    await runMaven(mvn, ['-B', '-q', '-Dstyle.color=never', '-f', KAFKA_POM, 'dependency:copy-dependencies',
      `-DoutputDirectory=${staging}`, '-DincludeScope=runtime']);
    if (!readdirSync(staging).some((f) => f.startsWith('kafka_2.13-'))) {
      throw new Error(`Maven finished but ${staging} holds no kafka_2.13 jar`);
    }
    if (readMarker(marker) !== digest || !existsSync(libs)) {
      rmSync(libs, { recursive: true, force: true });
      renameSync(staging, libs);
      writeFileSync(marker, `${digest}\n`);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`Kafka ${version} jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { version, libs };
}

function readMarker(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function runMaven(mvn: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(mvn, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-8000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      // Strip Maven's colour codes so the message reads cleanly in CI logs.
      else reject(new Error(`Maven could not resolve the Kafka jars (exit ${code}):\n${output.replace(/\x1b\[[0-9;]*m/g, '').trim()}`));
    });
  });
}

function defaultLog(line: string): void {
  process.stderr.write(`[kafka] ${line}\n`);
}
