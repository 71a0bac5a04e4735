import type { Verdict } from '@repute/core';

/**
 * The `A 127.0.0.x` return codes, one table for the code, the README and the tests. A listed
 * name answers its verdict's code first, then one code per category it carries that the table
 * knows, so a mail server can act on the verdict (`=127.0.0.2`) or on a category alone.
 * Codes never change meaning once published: resolvers and filter rules hard-code them.
 */
export const RETURN_CODES = [
  { code: 2, address: '127.0.0.2', meaning: 'malicious', categories: [] },
  { code: 3, address: '127.0.0.3', meaning: 'suspicious', categories: [] },
  { code: 4, address: '127.0.0.4', meaning: 'phishing', categories: ['phishing'] },
  { code: 5, address: '127.0.0.5', meaning: 'malware', categories: ['malware', 'ransomware', 'trojan', 'dropper'] },
  { code: 6, address: '127.0.0.6', meaning: 'spam source', categories: ['spam', 'spam-source', 'spam_source', 'spamsource'] },
  { code: 7, address: '127.0.0.7', meaning: 'botnet / command and control', categories: ['botnet', 'c2', 'command-and-control'] },
  { code: 8, address: '127.0.0.8', meaning: 'blocked by the tenant’s own overlay', categories: [] },
] as const;

export const CODE_MALICIOUS = 2;
export const CODE_SUSPICIOUS = 3;
export const CODE_TENANT_BLOCK = 8;

const BY_CATEGORY = new Map<string, number>(RETURN_CODES.flatMap((r) => r.categories.map((c): [string, number] => [c, r.code])));

/** The verdict's code, or null when the verdict is not listed (clean, unknown: NXDOMAIN). */
export function verdictCode(verdict: Verdict): number | null {
  return verdict === 'malicious' ? CODE_MALICIOUS : verdict === 'suspicious' ? CODE_SUSPICIOUS : null;
}

/** The codes of the categories the table knows, ascending and once each. */
export function categoryCodes(categories: readonly string[]): number[] {
  const codes: number[] = [];
  for (const c of categories) {
    const code = BY_CATEGORY.get(c.toLowerCase());
    if (code !== undefined && !codes.includes(code)) codes.push(code);
  }
  return codes.sort((a, b) => a - b);
}
