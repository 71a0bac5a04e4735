import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clusterSql } from '../src/cluster-sql.ts';

// Regenerates sql/cluster.sql from the schema; a test fails when the file is stale.
const target = fileURLToPath(new URL('../sql/cluster.sql', import.meta.url));
writeFileSync(target, clusterSql());
console.log(`wrote ${target}`);
