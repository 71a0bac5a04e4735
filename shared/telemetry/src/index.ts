export {
  EVENT_TYPES,
  TelemetryEventV1Schema,
  FileRefSchema,
  RelationsSchema,
  LocalVerdictSchema,
  type EventType,
  type TelemetryEvent,
  type TelemetryEventInput,
  type FileRef,
  type LocalVerdict,
} from './schema.ts';
export {
  validateAndCanonicalize,
  type ValidationResult,
  type Accepted,
  type Rejection,
  type RejectionReason,
  type ValidateOptions,
} from './validate.ts';
export { primaryIndicator, type PrimaryIndicator } from './primary.ts';
export { encodeEnvelope, envelopeEncoder, decodeEnvelope, EnvelopeError, type TelemetryEnvelope } from './envelope.ts';
export { decodeValidatedEnvelope } from './validate-envelope.ts';

/** The bus topic telemetry travels on, and its dead-letter topic. */
export const TELEMETRY_TOPIC = 'telemetry.v1';
export const TELEMETRY_DLQ_TOPIC = 'telemetry.v1.dlq';
