import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canonicalizeDomain, canonicalizeEmail, canonicalizeUrl, IndicatorError, parseCidr, parseFileHash, parseIp, registrableDomain, urlExpressions } from '../src/index.ts';

// Real threat feeds beside the checkout (strings only: nothing here is ever resolved or fetched).
const DATA = process.env.REPUTE_SHARED_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');

interface Counts {
  parsed: number;
  rejected: number;
  samples: string[];
}

const HEX = /^[0-9a-fA-F]+$/;
const IPV4_PORT = /^([0-9.]+):([0-9]{1,5})$/;
const CIDR = /^[0-9a-fA-F:.]+\/[0-9]{1,3}$/;

// Parses one indicator with the parser its shape calls for; only IndicatorError may escape.
function parseByShape(token: string): void {
  if ((token.length === 32 || token.length === 40 || token.length === 64) && HEX.test(token)) {
    parseFileHash(token);
    return;
  }
  if (CIDR.test(token)) {
    parseCidr(token);
    return;
  }
  const ipPort = IPV4_PORT.exec(token);
  if (ipPort !== null) {
    parseIp(ipPort[1]!);
    return;
  }
  if (/^[0-9.]+$/.test(token) || (token.includes(':') && /^\[?[0-9a-fA-F:.]+(%\w+)?\]?$/.test(token))) {
    parseIp(token);
    return;
  }
  if (token.includes('/') || token.includes('?')) {
    canonicalizeUrl(token);
    urlExpressions(token);
    return;
  }
  if (token.includes('@')) {
    canonicalizeEmail(token);
    return;
  }
  canonicalizeDomain(token);
  registrableDomain(token);
}

function attempt(counts: Counts, token: string, parse: (token: string) => void = parseByShape): void {
  try {
    parse(token);
    counts.parsed++;
  } catch (error) {
    if (!(error instanceof IndicatorError)) throw new Error(`non-IndicatorError on ${JSON.stringify(token.slice(0, 200))}`, { cause: error });
    counts.rejected++;
    if (counts.samples.length < 3) counts.samples.push(token.slice(0, 60));
  }
}

// RFC 4180: quoted fields may hold commas, doubled quotes and newlines.
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function csvFile(path: string, counts: Counts): void {
  const rows = parseCsv(readFileSync(path, 'utf8')).filter((r) => !(r.length === 1 && (r[0] === '' || r[0]!.startsWith('#'))));
  const header = rows.shift() ?? [];
  const hostColumn = header.indexOf('host');
  const pathColumn = header.indexOf('path');
  const hashColumns = header.flatMap((name, i) => (/_(MD5|SHA1|SHA256)$/.test(name) ? [i] : []));
  for (const row of rows) {
    if (hostColumn !== -1) {
      const host = row[hostColumn] ?? '';
      attempt(counts, host);
      const path = row[pathColumn] ?? '';
      if (path.length > 0) attempt(counts, `${host}${path.startsWith('/') ? '' : '/'}${path}`, (u) => void urlExpressions(u));
    }
    for (const column of hashColumns) {
      for (const token of (row[column] ?? '').split(/[\s,;]+/)) if (token.length > 0) attempt(counts, token, (h) => void parseFileHash(h));
    }
  }
}

function mispFile(path: string, counts: Counts): void {
  const list = JSON.parse(readFileSync(path, 'utf8')) as { type?: string; list: string[] };
  for (const entry of list.list) {
    // A leading dot in a hostname list means "this domain and below".
    const token = list.type === 'hostname' && entry.startsWith('.') ? entry.slice(1) : entry;
    attempt(counts, token.trim());
  }
}

function lineFile(path: string, counts: Counts): void {
  const semicolonComments = path.includes('signature-base');
  for (const rawLine of readFileSync(path, 'utf8').split('\n')) {
    let line = rawLine.trim();
    if (line.length === 0 || line.startsWith('#') || line.startsWith('!')) continue;
    const hash = line.indexOf(' #');
    if (hash !== -1) line = line.slice(0, hash);
    if (semicolonComments) line = line.split(';')[0]!;
    const token = line.split(/\s+/)[0]!;
    if (token.length > 0) attempt(counts, token);
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(path);
    return /^LICENSE|\.md$/i.test(name) ? [] : [path];
  });
}

test('every line of every shared feed parses or throws IndicatorError', (t) => {
  if (!existsSync(DATA)) {
    t.skip(`threat-feed data not found at ${DATA} (set REPUTE_SHARED_DATA)`);
    return;
  }
  const files = listFiles(DATA).sort();
  let totalParsed = 0;
  let totalRejected = 0;
  const started = performance.now();
  for (const file of files) {
    const counts: Counts = { parsed: 0, rejected: 0, samples: [] };
    if (file.endsWith('.csv')) csvFile(file, counts);
    else if (file.endsWith('.json')) mispFile(file, counts);
    else lineFile(file, counts);
    totalParsed += counts.parsed;
    totalRejected += counts.rejected;
    const sample = counts.samples.length > 0 ? ` e.g. ${counts.samples.map((s) => JSON.stringify(s)).join(', ')}` : '';
    t.diagnostic(`${relative(DATA, file)}: parsed ${counts.parsed}, rejected ${counts.rejected}${sample}`);
  }
  t.diagnostic(`${files.length} files: parsed ${totalParsed}, rejected ${totalRejected} in ${Math.round(performance.now() - started)} ms`);
  assert.ok(files.length > 100, 'the whole data set is present');
  assert.ok(totalParsed > 10 * totalRejected, 'most real indicators parse');
});
