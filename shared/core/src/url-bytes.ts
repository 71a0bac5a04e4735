// URL text is handled as a "binary string": one char per byte (0-255). Percent-unescaping can
// yield any byte, valid UTF-8 or not, and Safe Browsing escapes bytes, not code points.

const HEX_UPPER = '0123456789ABCDEF';
const NON_ASCII = /[^\x00-\x7f]/;

// 1 where Safe Browsing percent-escapes the byte: <= 0x20, >= 0x7f, '#', '%'.
const ESCAPE = new Uint8Array(256);
for (let b = 0; b < 256; b++) ESCAPE[b] = b <= 0x20 || b >= 0x7f || b === 0x23 || b === 0x25 ? 1 : 0;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

function fromCodes(codes: number[] | Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 8192) {
    const end = Math.min(length, i + 8192);
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(codes, i, end) as number[]);
  }
  return out;
}

/**
 * Turns text into a binary string. Text is taken as its UTF-8 bytes, as browsers do, whatever
 * it looks like: `Ã¤` is two characters (`%C3%83%C2%A4`), equal to its escaped form, even
 * though its chars read as bytes would be the UTF-8 of `ä`. A C1 control (U+0080-U+009F,
 * never text) is the one byte it names, as the published vector `http://\x01\x80.com/` →
 * `http://%01%80.com/` means; it stands for itself only, so that a control in the query never
 * turns the host into other bytes than the browser resolves.
 */
export function toBinary(text: string): string {
  // A native regex scan beats a charCodeAt loop on the all-ASCII common case.
  const found = NON_ASCII.exec(text);
  if (found === null) return text;
  let i = found.index;
  const length = text.length;
  const bytes = new Uint8Array(i + (length - i) * 3);
  for (let j = 0; j < i; j++) bytes[j] = text.charCodeAt(j);
  let n = i;
  for (; i < length; i++) {
    let c = text.charCodeAt(i);
    if (c <= 0x9f) {
      bytes[n++] = c;
    } else if (c < 0x800) {
      bytes[n++] = 0xc0 | (c >> 6);
      bytes[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes[n++] = 0xf0 | (c >> 18);
        bytes[n++] = 0x80 | ((c >> 12) & 63);
        bytes[n++] = 0x80 | ((c >> 6) & 63);
        bytes[n++] = 0x80 | (c & 63);
      } else {
        // A lone surrogate is what a UTF-8 encoder writes as U+FFFD.
        bytes[n++] = 0xef;
        bytes[n++] = 0xbf;
        bytes[n++] = 0xbd;
      }
    } else {
      bytes[n++] = 0xe0 | (c >> 12);
      bytes[n++] = 0x80 | ((c >> 6) & 63);
      bytes[n++] = 0x80 | (c & 63);
    }
  }
  return fromCodes(bytes, n);
}

/**
 * Percent-unescapes until no `%XX` is left, in one pass: each decoded byte is pushed back and
 * may complete an escape begun before it (`%%32%35` → `%25` → `%`), which is the fixed point
 * repeated unescaping reaches, without its quadratic worst case.
 */
export function unescapeFully(text: string): string {
  const first = text.indexOf('%');
  if (first === -1) return text;
  const out: number[] = [];
  for (let i = 0; i < first; i++) out.push(text.charCodeAt(i));
  let changed = false;
  for (let i = first; i < text.length; i++) {
    out.push(text.charCodeAt(i));
    let n = out.length;
    while (n >= 3 && out[n - 3] === 37) {
      const high = hexValue(out[n - 2]!);
      const low = hexValue(out[n - 1]!);
      if (high < 0 || low < 0) break;
      out.length = n - 2;
      out[n - 3] = high * 16 + low;
      n -= 2;
      changed = true;
    }
  }
  return changed ? fromCodes(out, out.length) : text;
}

/** Escapes the bytes Safe Browsing escapes (<= 0x20, >= 0x7f, `#`, `%`) as upper-case `%XX`. */
export function escapeBytes(text: string): string {
  const length = text.length;
  let i = 0;
  while (i < length && ESCAPE[text.charCodeAt(i)] === 0) i++;
  if (i === length) return text;
  let out = text.slice(0, i);
  let start = i;
  for (; i < length; i++) {
    const b = text.charCodeAt(i);
    if (ESCAPE[b] === 0) continue;
    if (start < i) out += text.slice(start, i);
    out += `%${HEX_UPPER[b >> 4]!}${HEX_UPPER[b & 15]!}`;
    start = i + 1;
  }
  if (start < length) out += text.slice(start);
  return out;
}

/** Lower-cases ASCII letters only (bytes above 0x7f are left for escaping). */
export function lowerAscii(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) return lowerSlow(text);
  }
  return text;
}

function lowerSlow(text: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      out += text.slice(start, i) + String.fromCharCode(c + 32);
      start = i + 1;
    }
  }
  return out + text.slice(start);
}

/** True when every char is below 0x80. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
