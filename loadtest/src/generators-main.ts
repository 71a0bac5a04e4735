import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareGenerators } from './generators.ts';

// `npm run generators --workspace @repute/loadtest`: which load generator leaves the server
// more of the 2 cores. Writes bench-results/loadtest/generators.json.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.env['GENERATOR_ROUNDS'] ?? 2);
const all = [];
for (let r = 1; r <= rounds; r++) {
  process.stdout.write(`round ${r}\n`);
  all.push(...(await compareGenerators(50, 5, (l) => process.stdout.write(`${l}\n`))));
}
const out = join(repoRoot, 'bench-results', 'loadtest');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'generators.json'), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, connections: 50, duration_s: 5, checks: all }, null, 2)}\n`);
