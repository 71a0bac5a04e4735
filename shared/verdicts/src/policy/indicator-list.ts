import { BlockList, isIP } from 'node:net';
import { registrableDomain, type IndicatorKind as Kind } from '@repute/core';

/**
 * The names a listed domain may cover `name` through: itself and its parents up to its
 * registrable domain by the Public Suffix List, private section included, and never into a
 * `boundary` (a platform the policy names whose subdomains belong to its users, where the
 * list lacks it). A listed `web.app`, `github.io` or `weebly.com` is the platform, not the
 * unrelated owners of its subdomains: a phishing page on `login-x.web.app` is not covered by the
 * platform's place in a top-sites list.
 * The last name asked about is remembered: a policy asks every list about the same name in turn.
 */
let lastName = '';
let lastBoundaries: ReadonlySet<string> | undefined;
let lastCovering: string[] = [];
function coveringNames(name: string, boundaries: ReadonlySet<string> | undefined): string[] {
  if (name === lastName && boundaries === lastBoundaries) return lastCovering;
  let registrable: string | null = null;
  try {
    registrable = registrableDomain(name);
  } catch {
    // Not a domain name: it can only be listed as itself.
  }
  const names = [name];
  if (registrable !== null) {
    let n = name;
    while (n !== registrable) {
      const dot = n.indexOf('.');
      if (dot < 0) break;
      n = n.slice(dot + 1);
      // The platform's own `www` is the platform.
      if (boundaries?.has(n) === true && name !== `www.${n}`) break;
      names.push(n);
    }
  }
  lastName = name;
  lastBoundaries = boundaries;
  lastCovering = names;
  return names;
}

/**
 * A set of indicators from warning lists: exact file hashes, e-mail senders and URLs; domains
 * with their subdomains within the same registrable domain (a listed `example.com` covers
 * `www.example.com`; a listed `web.app` does not cover `evil.web.app`); IP addresses and CIDR
 * ranges. Values are expected in canonical form (lowercase), as they travel on the bus.
 */
export class IndicatorList {
  readonly id: string;
  #exact = new Set<string>();
  #domains = new Set<string>();
  readonly #exactDomains: boolean;
  readonly #boundaries: ReadonlySet<string> | undefined;
  #ips = new BlockList();
  #ipCount = 0;
  // Kinds the list holds entries of: a policy asks every list about every indicator it scores,
  // and most lists hold one kind.
  #kinds = new Set<Kind>();

  /**
   * `exactDomains`: listed domains cover only themselves, not their subdomains (see `match` in
   * the policy). `boundaries`: platforms whose subdomains a listed parent never covers.
   */
  constructor(id: string, options: { exactDomains?: boolean; boundaries?: ReadonlySet<string> } = {}) {
    this.id = id;
    this.#exactDomains = options.exactDomains === true;
    this.#boundaries = options.boundaries;
  }

  get size(): number {
    return this.#exact.size + this.#domains.size + this.#ipCount;
  }

  /** Adds an entry; the kind is taken from `kind` when given, otherwise guessed from the text. */
  add(raw: string, kind?: Kind): void {
    const entry = raw.trim().toLowerCase();
    if (entry === '' || entry.startsWith('#')) return;
    const [address, prefix] = entry.split('/');
    const version = address === undefined ? 0 : isIP(address);
    if ((kind === undefined || kind === 'ip') && version !== 0 && address !== undefined) {
      const type = version === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.#ips.addAddress(address, type);
      else this.#ips.addSubnet(address, Number(prefix), type);
      this.#ipCount += 1;
      this.#kinds.add('ip');
      return;
    }
    if (kind === 'domain' || (kind === undefined && /^[a-z0-9.-]+\.[a-z0-9-]+$/.test(entry) && !/^[0-9a-f]{32,128}$/.test(entry))) {
      // MISP hostname lists sometimes write ".example.com" for "any subdomain of".
      this.#domains.add(entry.replace(/^\.+/, ''));
      this.#kinds.add('domain');
      return;
    }
    this.#exact.add(kind === 'url' ? `url:${entry}` : entry);
    // An entry of no stated kind is looked up as a file hash or an e-mail address.
    for (const k of kind === undefined ? (['file', 'email'] as const) : [kind]) this.#kinds.add(k);
  }

  has(kind: Kind, value: string): boolean {
    if (!this.#kinds.has(kind)) return false;
    switch (kind) {
      case 'ip': {
        const version = isIP(value);
        if (version !== 0) return this.#ips.check(value, version === 4 ? 'ipv4' : 'ipv6');
        // A network record (198.51.100.0/24) is listed when its network address is.
        const address = value.split('/')[0] ?? '';
        const v = isIP(address);
        return v !== 0 && this.#ips.check(address, v === 4 ? 'ipv4' : 'ipv6');
      }
      case 'domain': {
        const name = value.toLowerCase();
        if (this.#exactDomains) return this.#domains.has(name);
        for (const n of coveringNames(name, this.#boundaries)) if (this.#domains.has(n)) return true;
        return false;
      }
      case 'url':
        return this.#exact.has(`url:${value.toLowerCase()}`);
      default:
        return this.#exact.has(value.toLowerCase());
    }
  }
}
