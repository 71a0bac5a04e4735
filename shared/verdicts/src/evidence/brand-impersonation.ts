import { registrableDomain } from '@repute/core';

/** How a host names a brand it does not belong to. */
export type ImpersonationKind = 'combo' | 'homoglyph' | 'official-name';

export interface Impersonation {
  brand: string;
  how: ImpersonationKind;
}

/** The policy's `impersonation` block: brands with the domains that are theirs, and lure words. */
export interface ImpersonationDocument {
  brands: Record<string, string[]>;
  keywords: string[];
}

// Digits and symbols phishers put in place of the letters they resemble (dr0pbox, paypa1, micr0soft).
const LOOKALIKE: Record<string, string> = { '0': 'o', '1': 'l', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };
const LOOKALIKE_CHARS = /[013457@$]|rn|vv/;
const normalise = (token: string): string =>
  LOOKALIKE_CHARS.test(token) ? token.replace(/[013457@$]/g, (c) => LOOKALIKE[c]!).replace(/rn/g, 'm').replace(/vv/g, 'w') : token;
const trailingDigits = /\d+$/;
const HOST_CACHE = 50_000;
const tokensOf = (label: string): string[] => (label.includes('_') ? label.split(/[-_]+/) : label.split('-'));
const stripDigits = (token: string): string => {
  const last = token.charCodeAt(token.length - 1);
  return last >= 48 && last <= 57 ? token.replace(trailingDigits, '') : token;
};

/** A host and each of its parent domains (`a.b.c`: `a.b.c`, `b.c`, `c`). */
function suffixesOf(host: string): string[] {
  const out = [host];
  for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) out.push(host.slice(i + 1));
  return out;
}

/**
 * Tells a host that impersonates a well-known brand: the part its registrant chose (the label
 * left of the public suffix, or of a user-content platform such as `web.app`) pairs the brand's
 * name with a lure word (`paypal-secure`, `verify-microsoft-team`, `dropboxlogin7`), spells the
 * brand with look-alike characters (`dr0pbox`, `1inkedin`), or a subdomain carries one of the
 * brand's own domains (`paypal.com.account-check.top`). The brand's own domains never match.
 * Combosquatting and typosquatting are how most credential phishing names its sites (Kintis et
 * al., "Hiding in Plain Sight", CCS 2017); a brand's name alone is not enough, since ordinary
 * words (apple, amazon, outlook) are brands too.
 */
export class BrandMatcher {
  /** Brands by their name as written, and by their name with look-alike characters undone. */
  readonly #names = new Map<string, string>();
  readonly #brands = new Map<string, string>();
  /** Lure words, with look-alike characters undone. */
  readonly #keywords: Set<string>;
  /** Each brand's own domains, with the brand they belong to. */
  readonly #official = new Map<string, string>();
  readonly #boundaries: ReadonlySet<string>;
  /** Answers by host: a host's events come in runs, and every one of them is assessed. */
  readonly #byHost = new Map<string, Impersonation | null>();

  readonly #vouched: (host: string) => boolean;

  /** `vouched`: hosts whose names are theirs whatever they say (those an allow list names). */
  constructor(doc: ImpersonationDocument, userContentHosts: readonly string[] = [], vouched: (host: string) => boolean = () => false) {
    this.#vouched = vouched;
    for (const [brand, domains] of Object.entries(doc.brands)) {
      this.#names.set(brand.toLowerCase(), brand);
      this.#brands.set(normalise(brand.toLowerCase()), brand);
      for (const d of domains) if (!this.#official.has(d.toLowerCase())) this.#official.set(d.toLowerCase(), brand);
    }
    this.#keywords = new Set(doc.keywords.map((k) => normalise(k.toLowerCase())));
    this.#boundaries = new Set(userContentHosts.map((h) => h.toLowerCase()));
  }

  /** The brand a URL's host or a domain impersonates, if any. */
  match(kind: string, value: string): Impersonation | undefined {
    const host = kind === 'domain' ? value.toLowerCase() : kind === 'url' ? hostOf(value) : '';
    if (host === '' || /^[\d.]+$/.test(host) || host.includes(':')) return undefined;
    let found = this.#byHost.get(host);
    if (found === undefined) {
      found = this.#judge(host) ?? null;
      if (this.#byHost.size >= HOST_CACHE) this.#byHost.clear();
      this.#byHost.set(host, found);
    }
    return found ?? undefined;
  }

  #judge(host: string): Impersonation | undefined {
    const suffixes = suffixesOf(host);
    if (suffixes.some((d) => this.#official.has(d)) || this.#vouched(host)) return undefined;
    const label = this.#ownerLabel(host, suffixes);
    if (label === undefined) return undefined;
    const found = this.#inLabel(label);
    if (found !== undefined) return found;
    // `paypal.com.account-check.top`; a CDN's name for a brand's site (`apple.com.edgekey.net`)
    // has no lure word in the part its owner chose.
    if (!tokensOf(label).some((t) => this.#keywords.has(normalise(stripDigits(t))))) return undefined;
    const labels = host.split('.');
    for (let i = 0; i < labels.length - 2; i++) {
      for (const n of [2, 3]) {
        const brand = this.#official.get(labels.slice(i, i + n).join('.'));
        if (brand !== undefined && i + n < labels.length - 1) return { brand, how: 'official-name' };
      }
    }
    return undefined;
  }

  /** The label the registrant chose: left of a user-content platform's domain or of the public suffix. */
  #ownerLabel(host: string, suffixes: readonly string[]): string | undefined {
    const platform = suffixes.find((d) => this.#boundaries.has(d));
    if (platform !== undefined) {
      const rest = host.slice(0, -platform.length - 1);
      return rest.slice(rest.lastIndexOf('.') + 1);
    }
    let registrable: string | null;
    try {
      registrable = registrableDomain(host);
    } catch {
      return undefined;
    }
    return registrable === null ? undefined : registrable.slice(0, registrable.indexOf('.'));
  }

  #inLabel(label: string): Impersonation | undefined {
    let brand: string | undefined;
    let lure = false;
    for (const token of tokensOf(label)) {
      if (token === '') continue;
      // `paypal7`, `dhl2`: numbered copies name the brand as plainly.
      const bare = stripDigits(token);
      const exact = this.#names.get(token) ?? this.#names.get(bare);
      if (exact !== undefined) {
        brand ??= exact;
        continue;
      }
      // Spelt with look-alike characters, the brand is impersonated whatever words surround it.
      const lookalike = this.#brands.get(normalise(token)) ?? this.#brands.get(normalise(bare));
      if (lookalike !== undefined) return { brand: lookalike, how: 'homoglyph' };
      if (this.#keywords.has(normalise(bare))) {
        lure = true;
        continue;
      }
      const compound = this.#compound(bare);
      if (compound !== undefined) return { brand: compound, how: 'combo' };
    }
    return brand !== undefined && lure ? { brand, how: 'combo' } : undefined;
  }

  /** A brand and a lure word run together (`paypalsecure`, `loginmicrosoft`). */
  #compound(token: string): string | undefined {
    const plain = normalise(token);
    for (const [name, brand] of this.#brands) {
      if (plain.length <= name.length) continue;
      if (plain.startsWith(name) && this.#keywords.has(plain.slice(name.length))) return brand;
      if (plain.endsWith(name) && this.#keywords.has(plain.slice(0, plain.length - name.length))) return brand;
    }
    return undefined;
  }
}

/** The host of a URL without parsing it whole: between `//` and the first `/`, `?`, `#` or port. */
function hostOf(url: string): string {
  const start = url.indexOf('//');
  if (start < 0) return '';
  let end = url.length;
  for (const c of ['/', '?', '#']) {
    const i = url.indexOf(c, start + 2);
    if (i >= 0 && i < end) end = i;
  }
  let host = url.slice(start + 2, end);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  if (host.startsWith('[')) return host;
  const colon = host.indexOf(':');
  return (colon >= 0 ? host.slice(0, colon) : host).toLowerCase();
}
