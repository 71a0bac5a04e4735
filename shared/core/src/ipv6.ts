// IPv6 text as the WHATWG URL standard parses it (https://url.spec.whatwg.org/#concept-ipv6-parser),
// written out as RFC 5952 recommends.

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Parses IPv6 text (no brackets, no zone) into eight 16-bit pieces, or null. */
export function parseIpv6(text: string): Uint16Array | null {
  const address = new Uint16Array(8);
  const length = text.length;
  let pieceIndex = 0;
  let compress = -1;
  let pointer = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return null;
    pointer = 2;
    pieceIndex = 1;
    compress = 1;
  }
  while (pointer < length) {
    if (pieceIndex === 8) return null;
    if (text.charCodeAt(pointer) === 58) {
      if (compress !== -1) return null;
      pointer++;
      pieceIndex++;
      compress = pieceIndex;
      continue;
    }
    let value = 0;
    let digits = 0;
    while (digits < 4 && pointer < length) {
      const h = hexValue(text.charCodeAt(pointer));
      if (h < 0) break;
      value = value * 16 + h;
      pointer++;
      digits++;
    }
    if (pointer < length && text.charCodeAt(pointer) === 46) {
      if (digits === 0) return null;
      pointer -= digits;
      if (pieceIndex > 6) return null;
      let numbersSeen = 0;
      while (pointer < length) {
        let piece = -1;
        if (numbersSeen > 0) {
          if (text.charCodeAt(pointer) === 46 && numbersSeen < 4) pointer++;
          else return null;
        }
        let c = text.charCodeAt(pointer);
        if (!(c >= 48 && c <= 57)) return null;
        while (c >= 48 && c <= 57) {
          const n = c - 48;
          if (piece === -1) piece = n;
          else if (piece === 0) return null;
          else piece = piece * 10 + n;
          if (piece > 255) return null;
          pointer++;
          c = pointer < length ? text.charCodeAt(pointer) : -1;
        }
        address[pieceIndex] = address[pieceIndex]! * 0x100 + piece;
        numbersSeen++;
        if (numbersSeen === 2 || numbersSeen === 4) pieceIndex++;
      }
      if (numbersSeen !== 4) return null;
      break;
    } else if (pointer < length && text.charCodeAt(pointer) === 58) {
      pointer++;
      if (pointer === length) return null;
    } else if (pointer < length) {
      return null;
    }
    address[pieceIndex] = value;
    pieceIndex++;
  }
  if (compress !== -1) {
    let swaps = pieceIndex - compress;
    pieceIndex = 7;
    while (pieceIndex !== 0 && swaps > 0) {
      const other = compress + swaps - 1;
      const tmp = address[pieceIndex]!;
      address[pieceIndex] = address[other]!;
      address[other] = tmp;
      pieceIndex--;
      swaps--;
    }
  } else if (pieceIndex !== 8) {
    return null;
  }
  return address;
}

/** RFC 5952 text: lower-case, no leading zeros, the longest run (≥ 2) of zero pieces as `::`. */
export function formatIpv6(pieces: Uint16Array): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (pieces[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && pieces[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    out += pieces[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

/** The sixteen bytes of an address, network order. */
export function ipv6Bytes(pieces: Uint16Array): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = pieces[i]! >>> 8;
    bytes[i * 2 + 1] = pieces[i]! & 255;
  }
  return bytes;
}

/**
 * The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:0:0/96` and the NAT64
 * well-known prefix `64:ff9b::/96` (RFC 6052). Returns -1 when it embeds none.
 */
export function embeddedIpv4(pieces: Uint16Array): number {
  const mapped = pieces[0] === 0 && pieces[1] === 0 && pieces[2] === 0 && pieces[3] === 0 && pieces[4] === 0 && pieces[5] === 0xffff;
  const nat64 = pieces[0] === 0x64 && pieces[1] === 0xff9b && pieces[2] === 0 && pieces[3] === 0 && pieces[4] === 0 && pieces[5] === 0;
  if (!mapped && !nat64) return -1;
  return pieces[6]! * 0x10000 + pieces[7]!;
}
