import type { LookupKind } from '@repute/core';
import type { ListVerdict } from '../records/list-lookup.ts';

const MAX_RULES = 6;
// A TXT character-string holds at most 255 bytes (RFC 1035 3.3).
const STRING_BYTES = 255;

/** The lookup API's address of a value, quoted in TXT answers so a postmaster can follow up. */
export function lookupLink(base: string, kind: LookupKind, value: string): string {
  const root = base.replace(/\/+$/, '');
  return `${root}/v1/reputation/${kind}/${encodeURIComponent(value)}`;
}

/**
 * The TXT answer: verdict, categories and the reasons' rule ids (the short form: no evidence
 * counts or tenant details, which the lookup API withholds below its k-anonymity threshold),
 * then the link. Split into 255-byte strings.
 */
export function listedText(result: ListVerdict, kind: LookupKind, base: string): string[] {
  let text: string;
  if (result.overlay !== null) text = `${result.verdict}: blocked by the tenant overlay`;
  else {
    const facts = result.facts;
    const categories = facts !== null && facts.categories.length > 0 ? ` (${facts.categories.join(', ')})` : '';
    const rules = facts === null ? [] : facts.rules.slice(0, MAX_RULES);
    const more = facts !== null && facts.rules.length > MAX_RULES ? ', …' : '';
    text = `${result.verdict}${categories}${rules.length > 0 ? `: ${rules.join(', ')}${more}` : ''}`;
  }
  return splitStrings(`${text}; ${lookupLink(base, kind, result.value)}`);
}

export function splitStrings(text: string): string[] {
  const bytes = Buffer.from(text);
  const out: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    // Cut on a character boundary: back up over UTF-8 continuation bytes.
    let end = Math.min(at + STRING_BYTES, bytes.length);
    while (end < bytes.length && end > at + 1 && (bytes[end]! & 0xc0) === 0x80) end--;
    out.push(bytes.toString('utf8', at, end));
    at = end;
  }
  return out;
}
