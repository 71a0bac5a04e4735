import { basename, dirname, extname } from 'node:path';
import type { IndicatorKind } from '@repute/core';
import { parseCsv } from './csv.ts';

/** Formats `import` reads; `auto` tells them apart by extension and content. */
export const LIST_FORMATS = ['auto', 'lines', 'maltrail', 'ipsum', 'csv', 'stix', 'misp'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** One indicator a list names. */
export interface ListEntry {
  /** Line (or STIX object / JSON list position) it came from, 1-based. */
  line: number;
  raw: string;
  /** Set when the format says what the entry is; guessed from the text otherwise. */
  kind?: IndicatorKind;
  /** A tier the list itself gives (IPsum counts, LOLDrivers categories). */
  tier?: 'malicious' | 'suspicious';
  note?: string;
  /** For an MD5 or SHA-1: the SHA-256 of the same file, when the list gives it. */
  aliasOf?: string;
}

/** An entry the format itself refuses, with the reason. */
export interface ListReject {
  line: number;
  raw: string;
  reason: string;
}

export interface ParsedList {
  format: Exclude<ListFormat, 'auto'>;
  entries: ListEntry[];
  rejects: ListReject[];
}

function detectFormat(path: string, text: string): Exclude<ListFormat, 'auto'> {
  const ext = extname(path).toLowerCase();
  const head = text.trimStart();
  if (ext === '.json' || head.startsWith('{')) {
    return /"type"\s*:\s*"bundle"/.test(text.slice(0, 4096)) || /"spec_version"\s*:\s*"2\./.test(text.slice(0, 4096)) ? 'stix' : 'misp';
  }
  const dataLines = text.split('\n', 200).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (ext === '.csv' || (dataLines[0]?.startsWith('"') === true && dataLines[0].includes('","'))) return 'csv';
  if (dataLines.length > 0 && dataLines.filter((l) => /^\S+\t\d+$/.test(l)).length >= dataLines.length * 0.9) return 'ipsum';
  return 'lines';
}

// `indicator;comment` (signature-base), `indicator # comment` (maltrail scanners), tabs.
function splitLine(line: string): { raw: string; note?: string } {
  let text = line;
  let note: string | undefined;
  const hash = text.search(/\s#/);
  if (hash >= 0) {
    note = text.slice(hash).replace(/^\s*#\s*/, '');
    text = text.slice(0, hash);
  }
  const semicolon = text.indexOf(';');
  if (semicolon > 0 && !text.slice(0, semicolon).includes('/')) {
    note = text.slice(semicolon + 1).trim();
    text = text.slice(0, semicolon);
  }
  const [first, ...rest] = text.trim().split(/\s+/);
  if (note === undefined && rest.length > 0) note = rest.join(' ');
  return note !== undefined && note !== '' ? { raw: first ?? '', note } : { raw: first ?? '' };
}

function parseLines(text: string): ParsedList {
  const entries: ListEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^\uFEFF/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!') || line.startsWith('//')) continue;
    entries.push({ line: i + 1, ...splitLine(line) });
  }
  return { format: 'lines', entries, rejects: [] };
}

function parseIpsum(text: string): ParsedList {
  const entries: ListEntry[] = [];
  const rejects: ListReject[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [raw, count] = line.split(/\s+/);
    const n = Number(count);
    if (raw === undefined || !Number.isInteger(n) || n < 1) {
      rejects.push({ line: i + 1, raw: line, reason: 'not_ip_and_count' });
      continue;
    }
    // IPsum counts the public blocklists naming an address: one or two is noise as often as not.
    entries.push({ line: i + 1, raw, kind: 'ip', tier: n >= 3 ? 'malicious' : 'suspicious', note: `on ${n} blocklists` });
  }
  return { format: 'ipsum', entries, rejects };
}

const splitCell = (cell: string): string[] => cell.split(/[,\s]+/).map((v) => v.trim()).filter((v) => v !== '');

function parseCsvList(text: string): ParsedList {
  const entries: ListEntry[] = [];
  const rejects: ListReject[] = [];
  // Leading `#` lines are comments (urlhaus-filter); the first row after them is the header.
  const lines = text.split('\n');
  let skip = 0;
  while (skip < lines.length && (lines[skip]!.trim() === '' || lines[skip]!.trimStart().startsWith('#'))) skip++;
  const rows = parseCsv(lines.slice(skip).join('\n'), skip + 1);
  const header = rows.shift();
  if (header === undefined) return { format: 'csv', entries, rejects };
  const names = header.cells.map((c) => c.trim().toLowerCase());
  const find = (test: (name: string) => boolean): number => names.findIndex(test);
  const plain = (n: string) => !n.includes('authentihash');
  const cols = {
    url: find((n) => n === 'url'),
    host: find((n) => n === 'host' || n === 'hostname'),
    path: find((n) => n === 'path'),
    domain: find((n) => n === 'domain'),
    ip: find((n) => n === 'ip' || n === 'ip_address' || n === 'ipaddress' || n === 'dst_ip'),
    sha256: find((n) => n.includes('sha256') && plain(n)),
    md5: find((n) => n.includes('md5') && plain(n)),
    sha1: find((n) => n.includes('sha1') && plain(n)),
    category: find((n) => n === 'category' || n === 'threat_type'),
  };
  if (Object.entries(cols).every(([name, i]) => name === 'category' || i < 0)) {
    rejects.push({ line: header.line, raw: header.cells.join(','), reason: 'no_indicator_column' });
    return { format: 'csv', entries, rejects };
  }
  for (const row of rows) {
    const cell = (i: number): string => (i >= 0 ? (row.cells[i] ?? '').trim() : '');
    const category = cell(cols.category).toLowerCase();
    const tier = category.includes('vulnerable') ? 'suspicious' as const : category.includes('malicious') ? 'malicious' as const : undefined;
    const base = { line: row.line, ...(tier !== undefined ? { tier } : {}), ...(category !== '' ? { note: category } : {}) };
    const before = entries.length;
    if (cols.url >= 0 && cell(cols.url) !== '') entries.push({ ...base, raw: cell(cols.url), kind: 'url' });
    if (cols.host >= 0 && cell(cols.host) !== '') {
      const host = cell(cols.host);
      const path = cell(cols.path);
      // urlhaus-filter: an empty path means the whole host is bad; a path, one URL on a shared host.
      entries.push(path !== '' ? { ...base, raw: `http://${host}${path.startsWith('/') ? '' : '/'}${path}`, kind: 'url' } : { ...base, raw: host });
    }
    if (cols.domain >= 0 && cell(cols.domain) !== '') entries.push({ ...base, raw: cell(cols.domain), kind: 'domain' });
    if (cols.ip >= 0 && cell(cols.ip) !== '') entries.push({ ...base, raw: cell(cols.ip), kind: 'ip' });
    const sha256 = splitCell(cell(cols.sha256));
    for (const hex of sha256) entries.push({ ...base, raw: hex, kind: 'file' });
    // Hash columns of one row list the samples in the same order (LOLDrivers): pair them only
    // when the counts agree, else an MD5 could point at another sample's SHA-256.
    for (const col of [cols.md5, cols.sha1]) {
      const hashes = splitCell(cell(col));
      hashes.forEach((hex, i) => { entries.push({ ...base, raw: hex, kind: 'file', ...(hashes.length === sha256.length ? { aliasOf: sha256[i]! } : {}) }); });
    }
    if (entries.length === before) rejects.push({ line: row.line, raw: row.cells.join(',').slice(0, 200), reason: 'no_indicator_in_row' });
  }
  return { format: 'csv', entries, rejects };
}

function parseMisp(text: string): ParsedList {
  const entries: ListEntry[] = [];
  const rejects: ListReject[] = [];
  let doc: { type?: unknown; list?: unknown; name?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return { format: 'misp', entries, rejects: [{ line: 1, raw: '', reason: 'invalid_json' }] };
  }
  if (!Array.isArray(doc.list)) return { format: 'misp', entries, rejects: [{ line: 1, raw: '', reason: 'not_a_misp_warninglist' }] };
  const type = typeof doc.type === 'string' ? doc.type : 'string';
  const kind: IndicatorKind | undefined = type === 'cidr' ? 'ip' : type === 'hostname' ? 'domain' : undefined;
  doc.list.forEach((value, i) => {
    if (typeof value !== 'string') rejects.push({ line: i + 1, raw: JSON.stringify(value), reason: 'not_a_string' });
    // Regex and substring lists describe patterns, not indicators.
    else if (type === 'regex' || type === 'substring') rejects.push({ line: i + 1, raw: value, reason: `misp_${type}_list` });
    else entries.push({ line: i + 1, raw: value.replace(/^\.+/, ''), ...(kind !== undefined ? { kind } : {}) });
  });
  return { format: 'misp', entries, rejects };
}

const STIX_PATHS: Record<string, IndicatorKind> = {
  'url:value': 'url',
  'domain-name:value': 'domain',
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'email-addr:value': 'email',
};

function stixKind(object: string, path: string): IndicatorKind | undefined {
  if (object === 'file' && /^hashes\.'?(sha-?256|sha-?1|md5)'?$/i.test(path)) return 'file';
  return STIX_PATHS[`${object}:${path}`];
}

function parseStix(text: string): ParsedList {
  const entries: ListEntry[] = [];
  const rejects: ListReject[] = [];
  let bundle: { objects?: unknown };
  try {
    bundle = JSON.parse(text) as typeof bundle;
  } catch {
    return { format: 'stix', entries, rejects: [{ line: 1, raw: '', reason: 'invalid_json' }] };
  }
  const objects = Array.isArray(bundle.objects) ? (bundle.objects as Record<string, unknown>[]) : [];
  objects.forEach((o, i) => {
    const line = i + 1;
    const note = typeof o['name'] === 'string' ? o['name'] : undefined;
    const base = { line, ...(note !== undefined ? { note } : {}) };
    switch (o['type']) {
      case 'indicator': {
        if (o['revoked'] === true) {
          rejects.push({ line, raw: String(o['id'] ?? ''), reason: 'revoked' });
          return;
        }
        if ((o['pattern_type'] ?? 'stix') !== 'stix' || typeof o['pattern'] !== 'string') {
          rejects.push({ line, raw: String(o['pattern'] ?? o['id'] ?? ''), reason: 'not_a_stix_pattern' });
          return;
        }
        const comparisons = [...o['pattern'].matchAll(/([a-z0-9-]+):([a-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'/gi)];
        let used = 0;
        for (const [, object, path, value] of comparisons) {
          const kind = stixKind(object!.toLowerCase(), path!);
          if (kind === undefined || value === undefined) continue;
          entries.push({ ...base, raw: value.replace(/\\(.)/g, '$1'), kind });
          used++;
        }
        if (used === 0) rejects.push({ line, raw: o['pattern'].slice(0, 200), reason: 'no_supported_comparison' });
        return;
      }
      case 'url':
      case 'domain-name':
      case 'ipv4-addr':
      case 'ipv6-addr':
      case 'email-addr':
        if (typeof o['value'] === 'string') entries.push({ ...base, raw: o['value'], kind: STIX_PATHS[`${o['type']}:value`]! });
        return;
      case 'file': {
        const hashes = (o['hashes'] ?? {}) as Record<string, unknown>;
        for (const value of Object.values(hashes)) if (typeof value === 'string') entries.push({ ...base, raw: value, kind: 'file' });
        return;
      }
      default:
        // Reports, identities, relationships and the like carry no indicator of their own.
        return;
    }
  });
  return { format: 'stix', entries, rejects };
}

/** Reads a list in one of the supported formats. */
export function parseList(path: string, text: string, format: ListFormat = 'auto'): ParsedList {
  const chosen = format === 'auto' ? detectFormat(path, text) : format;
  switch (chosen) {
    case 'lines':
    case 'maltrail':
      return { ...parseLines(text), format: chosen };
    case 'ipsum':
      return parseIpsum(text);
    case 'csv':
      return parseCsvList(text);
    case 'misp':
      return parseMisp(text);
    case 'stix':
      return parseStix(text);
  }
}

/** A readable name of a list for reasons: its folder and file (`malware/emotet.txt`, `tranco10k/list.json`). */
export function sourceName(path: string): string {
  return `${basename(dirname(path))}/${basename(path)}`;
}

/** The tier a list's location implies: maltrail's `suspicious/`, scanners, vulnerable drivers. */
export function tierOfPath(path: string): 'malicious' | 'suspicious' {
  return /(^|[/_-])(suspicious|mass_scanner|vulnerable)([/_.-]|$)/i.test(path) ? 'suspicious' : 'malicious';
}
