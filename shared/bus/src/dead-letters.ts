import { isUtf8 } from 'node:buffer';
import { DLQ_HEADERS, type Bus, type BusMessage } from './types.ts';

/** One dead letter as an operator sees it. */
export interface DeadLetter {
  position: string;
  eventId: string | null;
  tenant: string | null;
  reason: string;
  sourceTopic: string;
  sourceGroup: string;
  attempts: number;
  failedAt: string | null;
}

function describe(m: BusMessage): DeadLetter {
  let eventId: string | null = null;
  let tenant: string | null = null;
  try {
    const env = JSON.parse(m.value.toString('utf8')) as { tenant?: unknown; event?: { id?: unknown } };
    eventId = typeof env.event?.id === 'string' ? env.event.id : null;
    tenant = typeof env.tenant === 'string' ? env.tenant : null;
  } catch {
    // A dead letter may be exactly the message that is not JSON; list it all the same.
  }
  const failedAt = Number(m.headers[DLQ_HEADERS.failedAt]);
  return {
    position: m.id,
    eventId,
    tenant,
    reason: m.headers[DLQ_HEADERS.reason] ?? '',
    sourceTopic: m.headers[DLQ_HEADERS.sourceTopic] ?? '',
    sourceGroup: m.headers[DLQ_HEADERS.sourceGroup] ?? '',
    attempts: Number(m.headers[DLQ_HEADERS.attempts] ?? 0),
    failedAt: Number.isFinite(failedAt) ? new Date(failedAt).toISOString() : null,
  };
}

/**
 * Dead letters an operator dropped or replayed one by one. A dead-letter topic is read, never
 * consumed or cut (Kafka cannot delete one record), so each such decision is a record of its
 * own on `<dlq>.settled`, keyed by the letter's position; listing and replaying all skip them.
 */
export const settledTopic = (dlqTopic: string): string => `${dlqTopic}.settled`;

/** What became of a dead letter settled on its own. */
export interface Settlement {
  action: 'dropped' | 'replayed';
  at: string;
}

// Far more than an operator settles by hand; a tool reads them whole.
const READ_ALL = 100_000;

async function settledOf(bus: Bus, dlqTopic: string): Promise<Map<string, Settlement>> {
  const settled = new Map<string, Settlement>();
  for (const m of await bus.read(settledTopic(dlqTopic), { limit: READ_ALL })) {
    try {
      const s = JSON.parse(m.value.toString('utf8')) as Partial<Settlement>;
      // In order: a later decision on the same letter replaces an earlier one.
      if ((s.action === 'dropped' || s.action === 'replayed') && typeof s.at === 'string') settled.set(m.key, { action: s.action, at: s.at });
    } catch {
      // Not written by this module: ignored.
    }
  }
  return settled;
}

async function settle(bus: Bus, dlqTopic: string, position: string, action: Settlement['action']): Promise<void> {
  await bus.publish(settledTopic(dlqTopic), [{ key: position, value: JSON.stringify({ action, at: new Date().toISOString() }) }]);
}

/** Lists the dead letters of a topic not dropped or replayed on their own, oldest first. */
export async function listDeadLetters(bus: Bus, dlqTopic: string, limit: number): Promise<DeadLetter[]> {
  const settled = await settledOf(bus, dlqTopic);
  const letters = await bus.read(dlqTopic, { limit: limit + settled.size });
  return letters.filter((m) => !settled.has(m.id)).slice(0, limit).map(describe);
}

/** One dead letter in full: what a listing shows, and the message it holds. */
export interface DeadLetterDetail extends DeadLetter {
  key: string;
  /** The source message's own headers (the dead-letter headers apart). */
  headers: Record<string, string>;
  /** The value as text, or `{ base64 }` when it is not UTF-8. */
  value: string | { base64: string };
  /** For a message the bus could not decode: its fields as the broker held them (see `DLQ_HEADERS.raw`). */
  raw: unknown;
  /** Set once it was dropped or replayed on its own. */
  settled: Settlement | null;
}

const dlqHeaderNames = new Set<string>(Object.values(DLQ_HEADERS));
const ownHeaders = (m: BusMessage): Record<string, string> => Object.fromEntries(Object.entries(m.headers).filter(([name]) => !dlqHeaderNames.has(name)));

async function find(bus: Bus, dlqTopic: string, position: string): Promise<BusMessage | undefined> {
  // A stream reads from a position; a Kafka topic only from its start.
  const at = await bus.read(dlqTopic, { from: position, limit: 1 }).catch(() => []);
  if (at[0]?.id === position) return at[0];
  return (await bus.read(dlqTopic, { limit: READ_ALL })).find((m) => m.id === position);
}

function detailOf(m: BusMessage, settled: Settlement | null): DeadLetterDetail {
  const raw = m.headers[DLQ_HEADERS.raw];
  let parsedRaw: unknown = null;
  try {
    parsedRaw = raw === undefined ? null : JSON.parse(raw);
  } catch {
    parsedRaw = raw;
  }
  return {
    ...describe(m),
    key: m.key,
    headers: ownHeaders(m),
    value: isUtf8(m.value) ? m.value.toString('utf8') : { base64: m.value.toString('base64') },
    raw: parsedRaw,
    settled,
  };
}

/** The dead letter at `position` (its `DeadLetter.position`), or undefined when there is none. */
export async function readDeadLetter(bus: Bus, dlqTopic: string, position: string): Promise<DeadLetterDetail | undefined> {
  const m = await find(bus, dlqTopic, position);
  return m === undefined ? undefined : detailOf(m, (await settledOf(bus, dlqTopic)).get(position) ?? null);
}

/**
 * Drops the dead letter at `position`: it is no longer listed or replayed. Returns it as it was
 * (already settled, nothing changes), or undefined when there is none.
 */
export async function dropDeadLetter(bus: Bus, dlqTopic: string, position: string): Promise<DeadLetterDetail | undefined> {
  const letter = await readDeadLetter(bus, dlqTopic, position);
  if (letter !== undefined && letter.settled === null) await settle(bus, dlqTopic, position, 'dropped');
  return letter;
}

/**
 * Publishes the dead letter at `position` back to the topic it came from (without the
 * dead-letter headers), then marks it replayed so that replaying all skips it. Returns it, or
 * undefined when there is none.
 */
export async function replayDeadLetter(bus: Bus, dlqTopic: string, position: string): Promise<DeadLetterDetail | undefined> {
  const m = await find(bus, dlqTopic, position);
  if (m === undefined) return undefined;
  await bus.publish(m.headers[DLQ_HEADERS.sourceTopic] ?? dlqTopic.replace(/\.dlq$/, ''), [{ key: m.key, value: m.value, headers: ownHeaders(m) }]);
  // Marked after it went back: a crash between the two replays it twice, which consumers'
  // event-id dedup absorbs, never not at all.
  await settle(bus, dlqTopic, position, 'replayed');
  return detailOf(m, { action: 'replayed', at: new Date().toISOString() });
}

/** The group that replays dead letters; its position marks what was replayed already. */
export const REPLAY_GROUP = 'repute-dlq-replay';

/**
 * Publishes every dead letter not yet replayed back to the topic it came from (without the
 * dead-letter headers), then returns how many went back. Consumers see them again; their
 * event-id dedup makes a replay safe to repeat.
 */
export async function replayDeadLetters(bus: Bus, dlqTopic: string, options: { timeoutMs?: number } = {}): Promise<number> {
  let replayed = 0;
  // Those dropped or replayed on their own stay where they are.
  const settled = await settledOf(bus, dlqTopic);
  const sub = await bus.subscribe({
    topic: dlqTopic,
    group: REPLAY_GROUP,
    maxAttempts: 10,
    // A replay that cannot publish must not dead-letter the dead letters.
    deadLetterTopic: `${dlqTopic}.unreplayable`,
    handler: async (batch) => {
      const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
      let count = 0;
      for (const m of batch) {
        if (settled.has(m.id)) continue;
        const topic = m.headers[DLQ_HEADERS.sourceTopic] ?? dlqTopic.replace(/\.dlq$/, '');
        const list = byTopic.get(topic) ?? [];
        list.push({ key: m.key, value: m.value, headers: ownHeaders(m) });
        byTopic.set(topic, list);
        count += 1;
      }
      for (const [topic, messages] of byTopic) await bus.publish(topic, messages);
      replayed += count;
    },
  });
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  try {
    while ((await bus.lag(dlqTopic, REPLAY_GROUP)) > 0) {
      if (Date.now() > deadline) throw new Error('replay did not finish in time; run it again to continue');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await sub.close();
  }
  return replayed;
}
