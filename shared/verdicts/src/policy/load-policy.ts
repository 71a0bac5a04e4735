import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import Value from 'typebox/value';
import type { Verdict } from '@repute/core';
import { BrandMatcher } from '../evidence/brand-impersonation.ts';
import { VerdictsError } from '../verdicts-error.ts';
import { IndicatorList } from './indicator-list.ts';
import { PolicySchema, type ListRefDocument, type PolicyDocument } from './policy-schema.ts';

/** An allow list with the highest verdict it lets a listed indicator have. */
export interface AllowList {
  list: IndicatorList;
  cap: Verdict;
}

/** A validated policy with its lists loaded. */
export interface Policy {
  doc: PolicyDocument;
  version: string;
  allow: AllowList[];
  block: IndicatorList[];
  /** Tells the names that impersonate the policy's brands (absent without an `impersonation` block). */
  impersonation?: BrandMatcher;
  /** Where it was read from (for reloads). */
  path?: string;
}

/** The policy shipped with the package. */
export const DEFAULT_POLICY_PATH = new URL('../../policy/default.json', import.meta.url).pathname;

function loadList(ref: ListRefDocument, baseDir: string, boundaries: ReadonlySet<string>): IndicatorList {
  const list = new IndicatorList(ref.id, { exactDomains: ref.match === 'exact', boundaries });
  if (ref.path !== undefined) {
    const path = isAbsolute(ref.path) ? ref.path : resolve(baseDir, ref.path);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new VerdictsError('REPUTE_VERDICTS_POLICY_LIST', `list ${ref.id}: cannot read ${path}`, { cause: err });
    }
    if (path.endsWith('.json')) {
      // MISP warning-list format: { "type": "cidr" | "hostname" | "string" | ..., "list": [...] }.
      let doc: { list?: unknown; type?: unknown };
      try {
        doc = JSON.parse(text) as { list?: unknown; type?: unknown };
      } catch (err) {
        throw new VerdictsError('REPUTE_VERDICTS_POLICY_LIST', `list ${ref.id}: ${path} is not JSON`, { cause: err });
      }
      if (!Array.isArray(doc.list)) throw new VerdictsError('REPUTE_VERDICTS_POLICY_LIST', `list ${ref.id}: ${path} has no "list" array`);
      const kind = doc.type === 'cidr' ? 'ip' : doc.type === 'hostname' ? 'domain' : undefined;
      for (const entry of doc.list) if (typeof entry === 'string') list.add(entry, kind);
    } else {
      for (const line of text.split('\n')) list.add(line);
    }
  }
  for (const [kind, values] of Object.entries(ref.entries ?? {})) {
    for (const value of values ?? []) list.add(value, kind as 'file');
  }
  return list;
}

/** Validates a policy document and loads its lists; throws a VerdictsError listing every problem. */
export function buildPolicy(doc: unknown, baseDir: string, path?: string): Policy {
  if (!Value.Check(PolicySchema, doc)) {
    const problems = [...Value.Errors(PolicySchema, doc)].slice(0, 20).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new VerdictsError('REPUTE_VERDICTS_POLICY_INVALID', `invalid policy${path ? ` ${path}` : ''}:\n  ${problems.join('\n  ')}`);
  }
  const { thresholds } = doc;
  if (!(thresholds.clean < thresholds.suspicious && thresholds.suspicious < thresholds.malicious)) {
    throw new VerdictsError('REPUTE_VERDICTS_POLICY_INVALID', 'thresholds must order clean < suspicious < malicious');
  }
  const boundaries = new Set((doc.userContentHosts ?? []).map((d) => d.toLowerCase()));
  const allow: AllowList[] = doc.allowLists.map((ref) => ({ list: loadList(ref, baseDir, boundaries), cap: ref.cap ?? 'unknown' }));
  // A host an allow list vouches for chose its name long ago (a URL is listed only whole).
  const vouched = (host: string) => allow.some((a) => a.list.has('domain', host));
  return {
    doc,
    version: doc.version,
    allow,
    block: doc.blockLists.map((ref) => loadList(ref, baseDir, boundaries)),
    ...(doc.impersonation !== undefined ? { impersonation: new BrandMatcher(doc.impersonation, [...boundaries], vouched) } : {}),
    ...(path !== undefined ? { path } : {}),
  };
}

/** Reads, validates and loads a policy file. */
export function loadPolicy(path: string = DEFAULT_POLICY_PATH): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new VerdictsError('REPUTE_VERDICTS_POLICY_INVALID', `cannot read policy ${path}`, { cause: err });
  }
  return buildPolicy(doc, dirname(path), path);
}
