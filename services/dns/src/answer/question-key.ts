import { CLASSIC_UDP_BYTES, HEADER_BYTES } from './wire.ts';

/** A plain query's cache identity, read straight from its bytes. */
export interface QuestionKey {
  /** Everything an answer depends on besides the records: transport, tenant, EDNS size, question. */
  id: string;
  /** Where the question section ends (it is echoed from the query, in the client's own case). */
  questionEnd: number;
}

const TYPE_OPT = 41;
const MAX_NAME_BYTES = 255;

/**
 * The key of a query shaped as resolvers send them: one question, no answer or authority
 * records, at most one EDNS version 0 OPT owned by the root, nothing after it, and an ASCII name
 * without compression. Anything else is null and takes the full parser, which owns every
 * refusal; this only has to be sure that two queries with one key get one answer. Names are
 * folded to lower case (ASCII only, as DNS compares them), so 0x20-randomised case shares an
 * entry.
 */
export function questionKey(query: Buffer, transport: 'udp' | 'tcp', tenant: string | undefined, maxUdpBytes: number): QuestionKey | null {
  if (query.length < HEADER_BYTES + 5) return null;
  if (query.readUInt16BE(4) !== 1 || query.readUInt16BE(6) !== 0 || query.readUInt16BE(8) !== 0) return null;
  const additionals = query.readUInt16BE(10);
  if (additionals > 1) return null;
  let at = HEADER_BYTES;
  for (;;) {
    if (at >= query.length) return null;
    const len = query[at]!;
    if (len === 0) break;
    // A pointer or an extended label type: the full parser decides.
    if (len > 63) return null;
    at += 1 + len;
  }
  const nameEnd = at + 1;
  if (nameEnd - HEADER_BYTES > MAX_NAME_BYTES) return null;
  const questionEnd = nameEnd + 4;
  if (questionEnd > query.length) return null;
  for (let i = HEADER_BYTES; i < nameEnd; i++) if (query[i]! > 0x7e) return null;
  let edns = 'n';
  if (additionals === 1) {
    // OPT: root name, type, class (UDP size), extended rcode, version, flags, rdlength, options.
    const o = questionEnd;
    if (o + 11 > query.length || query[o] !== 0 || query.readUInt16BE(o + 1) !== TYPE_OPT) return null;
    if (query[o + 6] !== 0) return null;
    if (o + 11 + query.readUInt16BE(o + 9) !== query.length) return null;
    edns = String(Math.min(Math.max(query.readUInt16BE(o + 3), CLASSIC_UDP_BYTES), maxUdpBytes));
  } else if (questionEnd !== query.length) return null;
  const name = query.toString('latin1', HEADER_BYTES, nameEnd).toLowerCase();
  const type = query.readUInt32BE(nameEnd);
  return { id: `${transport}|${tenant ?? ''}|${edns}|${type}|${name}`, questionEnd };
}
