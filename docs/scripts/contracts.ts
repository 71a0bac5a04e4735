import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// Writes the generated blocks of docs/design/contracts.md from the code they describe: each
// block between `<!-- generated: <file> <Name> <Name>… -->` and `<!-- end generated -->` is the
// named declarations of that file as TypeScript, without their comments (the source holds the
// documentation; the page holds the shapes). `--check` exits 1 when the page is stale.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = `${ROOT}docs/design/contracts.md`;
const BLOCK = /(<!-- generated: (\S+) ([^>]+?) -->\n)[\s\S]*?(<!-- end generated -->)/g;

function declarations(file: string, names: readonly string[]): string {
  const source = ts.createSourceFile(file, readFileSync(`${ROOT}${file}`, 'utf8'), ts.ScriptTarget.Latest, true);
  const printer = ts.createPrinter({ removeComments: true });
  const found = new Map<string, string>();
  for (const statement of source.statements) {
    const name = (statement as ts.DeclarationStatement).name;
    if (name === undefined || !ts.isIdentifier(name) || !names.includes(name.text)) continue;
    found.set(name.text, printer.printNode(ts.EmitHint.Unspecified, statement, source));
  }
  const missing = names.filter((n) => !found.has(n));
  if (missing.length > 0) throw new Error(`${file} declares no ${missing.join(', ')}`);
  return names.map((n) => found.get(n)!).join('\n');
}

const page = readFileSync(PAGE, 'utf8');
const next = page.replace(BLOCK, (_all, open: string, file: string, names: string, close: string) =>
  `${open}\`\`\`ts\n${declarations(file, names.trim().split(/\s+/))}\n\`\`\`\n${close}`);
/** The TypeScript source of a workspace package (its `src` folder), joined. */
function packageSource(pkg: string): string {
  const dir = dirname(fileURLToPath(import.meta.resolve(pkg)));
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
}

/**
 * What cannot be generated is checked: every function the page names as `name(` in a
 * package's section is an export of that package, or a method its source defines (a key
 * store's `verify(key)`, a rescorer's `rescore(refs, source)`).
 */
async function missingNames(text: string): Promise<string[]> {
  const missing: string[] = [];
  for (const section of text.split(/^## /m).slice(1)) {
    const pkg = /^(@repute\/[a-z-]+)/.exec(section)?.[1];
    if (pkg === undefined) continue;
    const exported = (await import(pkg)) as Record<string, unknown>;
    let source: string | undefined;
    const generated = section.replace(/<!-- generated:[\s\S]*?<!-- end generated -->/g, '');
    for (const [, name] of generated.matchAll(/(?:^|[\s`;(])([a-z][A-Za-z0-9]*)\(/gm)) {
      if (name! in exported || missing.includes(`${pkg} ${name}`)) continue;
      source ??= packageSource(pkg);
      if (!new RegExp(`^\\s*(?:async\\s+)?${name}\\s*[(<]|\\b${name}\\s*[:=]\\s*(?:async\\s*)?\\(`, 'm').test(source)) missing.push(`${pkg} ${name}`);
    }
  }
  return missing;
}

if (process.argv.includes('--check')) {
  if (next !== page) {
    console.error(`${PAGE} is stale: run node --conditions=source docs/scripts/contracts.ts`);
    process.exit(1);
  }
  const missing = await missingNames(page);
  if (missing.length > 0) {
    console.error(`${PAGE} names functions their packages do not export: ${missing.join(', ')}`);
    process.exit(1);
  }
  console.log('contracts.md is current');
} else {
  writeFileSync(PAGE, next);
  console.log(`wrote ${PAGE}`);
}
