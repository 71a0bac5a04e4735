import { parseIndicator, type IndicatorKind } from '@repute/core';
import type { TelemetryEvent } from './schema.ts';

/** The indicator an event is about, which decides its partition. */
export interface PrimaryIndicator {
  kind: IndicatorKind;
  value: string;
  /** Hex SHA-256 digest of the indicator (the file hash itself for files): the message key. */
  digest: string;
}

/**
 * The event's primary indicator: its file (by SHA-256), else its URL, domain, IP, sender.
 * Its digest is the bus message key, so every event about one indicator lands on one partition.
 * validateAndCanonicalize already returns it for the events it accepts; this derives it again.
 */
export function primaryIndicator(event: TelemetryEvent): PrimaryIndicator {
  const pick: [IndicatorKind, string | undefined][] = [
    ['file', event.file?.sha256],
    ['url', event.url],
    ['domain', event.domain],
    ['ip', event.ip],
    ['email', event.sender],
  ];
  for (const [kind, value] of pick) {
    if (value === undefined) continue;
    const indicator = parseIndicator(kind, value);
    return { kind, value: indicator.value, digest: indicator.digest.toString('hex') };
  }
  throw new TypeError('telemetry event without an indicator');
}
