import type { World } from './world.ts';

/** A benign web site: its host name, the addresses it resolves to and the pages people open. */
export interface Site {
  domain: string;
  ips: string[];
  /** Full URLs, most visited first. */
  pages: string[];
  /** The ledger role of its pages. */
  pageRole: string;
}

export interface SiteSpec {
  domain: string;
  role: string;
  ips: string[];
  /** Paths (with query), each starting with `/`. */
  paths: string[];
  pageRole?: string;
  tags?: string[];
  scheme?: 'https' | 'http';
}

/**
 * Declares a benign site and its pages. The addresses are declared by whoever owns them (a
 * CDN address serves hundreds of sites and has its own story).
 */
export function createSite(world: World, spec: SiteSpec): Site {
  world.names.reserve(spec.domain);
  const tags = spec.tags ? { tags: spec.tags } : {};
  world.ledger.benign('domain', spec.domain, { role: spec.role, ...tags });
  const pageRole = spec.pageRole ?? spec.role;
  const site: Site = { domain: spec.domain, ips: spec.ips, pages: [], pageRole };
  for (const path of spec.paths) addPage(world, site, path, spec.scheme ?? 'https', spec.tags);
  return site;
}

/** Adds a benign page to a site (a new blog post, a shared document) and returns its URL. */
export function addPage(world: World, site: Site, path: string, scheme: 'https' | 'http' = 'https', tags?: string[]): string {
  const url = `${scheme}://${site.domain}${path}`;
  world.ledger.benign('url', url, { role: site.pageRole, ...(tags ? { tags } : {}) });
  if (!site.pages.includes(url)) site.pages.push(url);
  return url;
}
