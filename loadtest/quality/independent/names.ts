import type { Rng } from '@repute/simulator';

// Word stock for invented names. Benign and malicious names draw from the same stock on
// purpose: in real traffic the name of a domain says little about who owns it.
const WORDS = [
  'harbor', 'oak', 'river', 'summit', 'maple', 'cedar', 'pixel', 'north', 'blue', 'green', 'silver', 'stone',
  'bright', 'cloud', 'data', 'media', 'trail', 'garden', 'city', 'valley', 'metro', 'prime', 'alpha', 'delta',
  'union', 'craft', 'bakery', 'dental', 'legal', 'travel', 'studio', 'design', 'health', 'family', 'market',
  'supply', 'labs', 'works', 'group', 'partners', 'solutions', 'systems', 'network', 'digital', 'global', 'local',
  'coffee', 'books', 'music', 'sports', 'outdoor', 'energy', 'solar', 'auto', 'parts', 'home', 'build', 'wood',
  'lake', 'forest', 'bridge', 'tower', 'point', 'coast', 'bay', 'ridge', 'field', 'mill', 'farm', 'fresh',
  'sync', 'secure', 'update', 'service', 'portal', 'online', 'account', 'center', 'support', 'cdn', 'static',
  'assets', 'api', 'app', 'hub', 'link', 'web', 'net', 'mail', 'docs', 'file', 'share', 'view', 'track',
];

const BENIGN_TLDS = ['com', 'com', 'com', 'com', 'net', 'org', 'io', 'co.uk', 'de', 'fr', 'nl', 'ca', 'com.au', 'co', 'info', 'app', 'dev', 'xyz', 'shop', 'online'];
const CHEAP_TLDS = ['com', 'com', 'net', 'xyz', 'top', 'online', 'site', 'info', 'live', 'icu', 'click', 'support', 'cloud', 'shop', 'org', 'cc', 'biz'];

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function chars(rng: Rng, alphabet: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[rng.int(0, alphabet.length - 1)];
  return out;
}

export const base62 = (rng: Rng, n: number): string => chars(rng, BASE62, n);
export const alnum = (rng: Rng, n: number): string => chars(rng, ALNUM, n);
export const digits = (rng: Rng, n: number): string => String(rng.int(1, 9)) + chars(rng, '0123456789', n - 1);

/** A URL path segment in the style of a blog or shop slug. */
export function slug(rng: Rng): string {
  return rng.sample(WORDS, rng.int(2, 4)).join('-');
}

/**
 * Hands out names that are unique across the whole scenario, so one value never ends up
 * with two stories (and two labels).
 */
export interface NameRegistry {
  /** Returns `make()` once it produces a name not handed out before. */
  unique(make: () => string): string;
  /** Records a fixed name (a real-world one) so generated names never collide with it. */
  reserve(name: string): string;
}

export function createNameRegistry(): NameRegistry {
  const taken = new Set<string>();
  return {
    unique(make) {
      for (let i = 0; i < 1000; i++) {
        const name = make();
        if (!taken.has(name)) {
          taken.add(name);
          return name;
        }
      }
      throw new Error('name space exhausted');
    },
    reserve(name) {
      taken.add(name);
      return name;
    },
  };
}

/** An established-looking business, club or blog domain. */
export function businessDomain(rng: Rng): string {
  const [a, b] = rng.sample(WORDS.slice(0, 70), 2) as [string, string];
  const sep = rng.chance(0.25) ? '-' : '';
  const www = rng.chance(0.5) ? 'www.' : '';
  return `${www}${a}${sep}${b}.${rng.pick(BENIGN_TLDS)}`;
}

/** A look-alike of `brand` as phishers register them. */
export function lookalikeDomain(rng: Rng, brand: string): string {
  const twist = rng.int(0, 4);
  const word = rng.pick(['secure', 'verify', 'login', 'account', 'support', 'review', 'portal', 'online', 'auth', 'service', 'update', 'docs']);
  const base =
    twist === 0 ? `${brand}-${word}`
    : twist === 1 ? `${word}-${brand}-${rng.pick(['center', 'team', 'access', 'id', 'now'])}`
    : twist === 2 ? `${brand.replace('o', '0').replace('l', '1')}-${word}`
    : twist === 3 ? `${brand}${word}${rng.int(1, 99)}`
    : `${word}-${brand}`;
  return `${base}.${rng.pick(CHEAP_TLDS)}`;
}

/** A generated-looking (DGA-like) name as some malware families use for command and control. */
export function dgaDomain(rng: Rng): string {
  return `${chars(rng, LOWER, rng.int(9, 15))}.${rng.pick(['top', 'xyz', 'biz', 'info', 'net', 'com', 'ru', 'cc', 'pw'])}`;
}

/** A bland, service-sounding name as careful operators choose for command and control. */
export function blandDomain(rng: Rng): string {
  const [a, b] = rng.sample(WORDS.slice(70), 2) as [string, string];
  return `${rng.pick(['', '', 'cdn.', 'api.', 'static.'])}${a}-${b}${rng.chance(0.4) ? rng.pick(WORDS.slice(0, 70)) : ''}.${rng.pick(CHEAP_TLDS)}`;
}

/** A subdomain label as people pick for a free-hosting site, benign or not. */
export function hostedLabel(rng: Rng, hint?: string): string {
  const base = hint ?? rng.sample(WORDS, 2).join('-');
  return rng.chance(0.5) ? `${base}-${alnum(rng, 4)}` : base;
}

/** An e-mail local part for a person. */
export function personLocal(rng: Rng): string {
  const first = rng.pick(['anna', 'ben', 'carla', 'dev', 'erik', 'fatima', 'george', 'hana', 'ivan', 'julia', 'kofi', 'lena', 'marco', 'nina', 'omar', 'paula']);
  const last = rng.pick(['smith', 'meyer', 'rossi', 'kowalski', 'nguyen', 'garcia', 'jensen', 'dubois', 'tanaka', 'okafor', 'silva', 'berg']);
  return rng.chance(0.5) ? `${first}.${last}` : `${first[0]}${last}`;
}
