export type { IndicatorKind } from './indicator-kind.ts';
export { INDICATOR_KINDS, isIndicatorKind } from './indicator-kind.ts';
export { IndicatorError, isIndicatorError } from './indicator-error.ts';
export type { IndicatorErrorOptions } from './indicator-error.ts';
export type { Indicator } from './parse-indicator.ts';
export { parseIndicator } from './parse-indicator.ts';
export { canonicalizeUrl, MAX_URL_LENGTH } from './canonicalize-url.ts';
export { urlExpressions, mostSpecificExpression, expressionAnswersFor } from './url-expressions.ts';
export type { FileHash, HashAlgorithm } from './file-hash.ts';
export { parseFileHash } from './file-hash.ts';
export type { IpAddress } from './ip.ts';
export { parseIp, ipNetwork } from './ip.ts';
export type { Cidr } from './cidr.ts';
export { parseCidr } from './cidr.ts';
export type { IpRange } from './ip-range.ts';
export { ipRange } from './ip-range.ts';
export { canonicalizeDomain, registrableDomain } from './domain.ts';
export { canonicalizeEmail } from './email.ts';
export { digestOf, digestAndKey, recordKey, aliasKey, sha256, uncheckedRecordKey, recordKeyPrefix, isReputationKey, isAliasKey, aliasKeyHex, ALIAS_KEY_PREFIX } from './keys.ts';
export type { Verdict, Reason, ReputationRecord, TenantView } from './record.ts';
export { VERDICT_RANK, VERDICTS, worstVerdict, isVerdict, encodeRecord, decodeRecord, recordForTenant, RecordError, RECORD_FORMAT_VERSION, MAX_TENANT_VIEWS } from './record.ts';
export { lookupCandidates, candidateKey, domainChain, LOOKUP_KINDS, type LookupCandidates, type LookupCandidate, type CandidateRole, type LookupKind } from './lookup-candidates.ts';
export { HTTP_URL_SYNTAX, INDICATOR_SYNTAX, IP_ADDRESS_SYNTAX, MAX_API_URL_LENGTH, PATH_SYNTAX, indicatorSyntaxProblem, syntaxProblem, syntaxSchema, type IndicatorSyntax } from './indicator-syntax.ts';
export { DigestFilter } from './digest-filter.ts';
export {
  SNAPSHOT_FORMAT_VERSION, SNAPSHOT_HEADER_BYTES, SNAPSHOT_SIGNED_BYTES, layOutSnapshot, readSnapshot, snapshotBitBytes, snapshotContentHash, snapshotKindCode, snapshotWords,
  type SnapshotFields, type SnapshotParts,
} from './filter-snapshot-format.ts';
export { STREAM_START, compareStreamIds, isStreamId, streamIdTime } from './stream-id.ts';
export { parseIpBlock, inIpBlock, type IpBlock } from './ip-block.ts';
export { dnsListLabels, parseDnsListLabels, type DnsListKind, type DnsListName } from './dns-list-name.ts';
