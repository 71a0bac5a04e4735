/** Response codes (RFC 1035 4.1.1; BADVERS is RFC 6891's extended code 16). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

export const HEADER_BYTES = 12;
/** Answers without EDNS fit the original 512-byte limit (RFC 1035 4.2.1). */
export const CLASSIC_UDP_BYTES = 512;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const CD = 0x0010;
const OPCODE = 0x7800;

/** The flags of a response to a query's flags: QR, its opcode, RD and CD copied, AA when ours. */
export function responseFlags(queryFlags: number, rcode: number, authoritative: boolean): number {
  return QR | (queryFlags & (OPCODE | RD | CD)) | (authoritative ? AA : 0) | (rcode & 0x0f);
}

/**
 * A header-only response (no question echoed) for a query we cannot or will not read: at most
 * as large as the query's own header, so it amplifies nothing.
 */
export function headerOnly(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(query.readUInt16BE(0), 0);
  out.writeUInt16BE(responseFlags(query.readUInt16BE(2), rcode, false), 2);
  return out;
}

/** Sets TC on an encoded response. */
export function markTruncated(response: Buffer): Buffer {
  response.writeUInt16BE(response.readUInt16BE(2) | TC, 2);
  return response;
}

