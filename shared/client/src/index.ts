export { createClient, type ReputeClient } from './client.ts';
export { ReputeClientError, ReputeApiError, ReputeUnavailableError, FilterVerificationError, isUnavailable, type Problem } from './client-error.ts';
export { prepareIndicator, type Candidate, type PreparedIndicator } from './candidates.ts';
export { verifySnapshot, type VerifiedSnapshot } from './filter-snapshot.ts';
export type { PublicKeyDocument, PublicKeyInput } from './public-key.ts';
export { DigestFilter, IndicatorError, isIndicatorError } from '@repute/core';
export type {
  Answer, AnswerMatch, AnswerOverlay, AnswerReason, AnswerSource, AnswerStatus, BatchResult, ClientOptions, ClientStats, FilterOptions,
  FilterStatus, IndicatorInput, InvalidItem, LookupKind, OfflineOptions, PendingItem, RetryOptions, Verdict,
} from './types.ts';
