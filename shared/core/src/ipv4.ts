// IPv4 text forms as the WHATWG URL standard's host parser reads them (what browsers navigate
// to): one to four parts, each decimal, octal (leading 0) or hex (0x), the last part filling
// the remaining bytes. https://url.spec.whatwg.org/#concept-ipv4-parser

const FAILURE = -1;

// Returns the part's value, FAILURE, or a value above 2^32 clamped to 2^32 (large enough to
// fail every range check without losing precision on absurdly long digit runs).
function parseNumber(text: string, start: number, end: number): number {
  if (start === end) return FAILURE;
  let radix = 10;
  if (end - start >= 2 && text.charCodeAt(start) === 48) {
    const second = text.charCodeAt(start + 1) | 0x20;
    if (second === 120) {
      radix = 16;
      start += 2;
    } else {
      radix = 8;
      start += 1;
    }
  }
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    let digit: number;
    if (c >= 48 && c <= 57) digit = c - 48;
    else if (radix === 16 && (c | 0x20) >= 97 && (c | 0x20) <= 102) digit = (c | 0x20) - 87;
    else return FAILURE;
    if (digit >= radix) return FAILURE;
    value = value * radix + digit;
    if (value > 0x100000000) value = 0x100000000;
  }
  return value;
}

/**
 * WHATWG "ends in a number": the host's last label is numeric, so the host must be an IPv4
 * address or is invalid (a browser refuses `http://evil.123/`).
 */
export function endsInANumber(host: string): boolean {
  let end = host.length;
  if (end > 0 && host.charCodeAt(end - 1) === 46) end--;
  const start = host.lastIndexOf('.', end - 1) + 1;
  if (start >= end) return false;
  let allDigits = true;
  for (let i = start; i < end; i++) {
    const c = host.charCodeAt(i);
    if (c < 48 || c > 57) {
      allDigits = false;
      break;
    }
  }
  if (allDigits) return true;
  return parseNumber(host, start, end) !== FAILURE;
}

/** Parses a WHATWG IPv4 host; returns the address as an unsigned 32-bit integer, or -1. */
export function parseIpv4(host: string): number {
  let end = host.length;
  if (end > 1 && host.charCodeAt(end - 1) === 46) end--;
  const numbers: number[] = [];
  let start = 0;
  for (;;) {
    let dot = host.indexOf('.', start);
    if (dot === -1 || dot > end) dot = end;
    if (numbers.length === 4) return FAILURE;
    const n = parseNumber(host, start, dot);
    if (n === FAILURE) return FAILURE;
    numbers.push(n);
    if (dot >= end) break;
    start = dot + 1;
  }
  const count = numbers.length;
  let address = 0;
  for (let i = 0; i < count - 1; i++) {
    const n = numbers[i]!;
    if (n > 255) return FAILURE;
    address += n * 256 ** (3 - i);
  }
  const last = numbers[count - 1]!;
  if (last >= 256 ** (5 - count)) return FAILURE;
  return address + last;
}

/** Dotted-quad text of an unsigned 32-bit address. */
export function formatIpv4(address: number): string {
  return `${(address >>> 24) & 255}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/** The four bytes of an unsigned 32-bit address, network order. */
export function ipv4Bytes(address: number): Uint8Array {
  return Uint8Array.of((address >>> 24) & 255, (address >>> 16) & 255, (address >>> 8) & 255, address & 255);
}
