import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './find-binary.ts';

/** Kafka 4 brokers are compiled for Java 17. */
const MIN_JAVA = 17;

let cached: string | undefined;

/**
 * Locates a Java 17+ runtime: `$JAVA_HOME/bin/java`, else `java` on PATH. Throws an error that
 * says what to install when there is none or it is too old.
 */
export function findJava(): string {
  if (cached !== undefined) return cached;
  const home = process.env['JAVA_HOME'];
  let java: string | undefined;
  if (home !== undefined && home !== '') {
    const candidate = join(home, 'bin', 'java');
    try {
      accessSync(candidate, constants.X_OK);
      java = candidate;
    } catch {
      // a stale JAVA_HOME should not hide a working java on PATH
    }
  }
  java ??= findBinary('java');
  if (java === undefined) {
    throw new Error(`Java ${MIN_JAVA}+ is needed to run Kafka and was not found (JAVA_HOME, PATH): install it, e.g. \`apt-get install -y openjdk-17-jre-headless\``);
  }
  const major = javaMajorVersion(java);
  if (major < MIN_JAVA) {
    throw new Error(`${java} is Java ${major}; Kafka 4 needs Java ${MIN_JAVA}+ (set JAVA_HOME to a newer one)`);
  }
  cached = java;
  return java;
}

function javaMajorVersion(java: string): number {
  // `java -version` writes to stderr: `openjdk version "17.0.15" ...`, or `"1.8.0_392"` for Java 8.
  const result = spawnSync(java, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(`\`${java} -version\` failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  const version = /version "([^"]+)"/.exec(result.stderr)?.[1] ?? '0';
  const [first, second] = version.split('.');
  return first === '1' ? Number(second) : Number(first);
}
