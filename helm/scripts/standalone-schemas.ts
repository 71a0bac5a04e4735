import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// kubeconform reads one self-contained JSON schema per kind. The offline schemas shipped in the
// PyPI package kubernetes-validate keep every definition in one _definitions.json that each kind
// references by an absolute "/api/_definitions.json#/$defs/..." URI, which kubeconform cannot
// resolve from disk. This rewrites each kind into a standalone schema carrying only the
// definitions it reaches. Usage: standalone-schemas.ts <source dir> <target dir>

const [source, target] = process.argv.slice(2);
if (source === undefined || target === undefined) {
  console.error('usage: standalone-schemas.ts <source dir> <target dir>');
  process.exit(64);
}
const REF = '/api/_definitions.json#/$defs/';
const defs = (JSON.parse(readFileSync(join(source, '_definitions.json'), 'utf8')) as { $defs: Record<string, unknown> }).$defs;

function refsOf(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) refsOf(item, into);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = value.startsWith(REF) ? value.slice(REF.length) : value.startsWith('#/$defs/') ? value.slice(8) : undefined;
        if (name !== undefined && !into.has(name)) {
          into.add(name);
          refsOf(defs[name], into);
        }
      } else {
        refsOf(value, into);
      }
    }
  }
}

mkdirSync(target, { recursive: true });
let count = 0;
for (const file of readdirSync(source)) {
  if (!file.endsWith('.json') || file.startsWith('_') || file === 'all.json') continue;
  const text = readFileSync(join(source, file), 'utf8');
  const schema = JSON.parse(text.replaceAll(`"${REF}`, '"#/$defs/')) as Record<string, unknown>;
  const reached = new Set<string>();
  refsOf(JSON.parse(text), reached);
  const own: Record<string, unknown> = {};
  for (const name of reached) own[name] = defs[name];
  writeFileSync(join(target, file), JSON.stringify({ ...schema, $defs: own }));
  count++;
}
console.log(`wrote ${count} standalone schemas to ${target}`);
