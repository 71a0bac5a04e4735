import { findJava } from '../java.ts';
import { ensureKafkaJars } from '../kafka-jars.ts';

/**
 * Resolves the Kafka runtime jars into the cache now (CI calls it before the tests, so a Maven
 * problem is reported as one) and prints the folder. Exits 1 with the reason when Java or the
 * jars cannot be had.
 */
try {
  const java = findJava();
  const { libs, version } = await ensureKafkaJars();
  console.log(`Kafka ${version} jars in ${libs} (java: ${java})`);
} catch (err) {
  console.error(`kafka-jars: ${(err as Error).message}`);
  process.exit(1);
}
