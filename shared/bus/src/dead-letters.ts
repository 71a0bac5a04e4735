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

/** Lists the dead letters of a topic, oldest first. */
export async function listDeadLetters(bus: Bus, dlqTopic: string, limit: number): Promise<DeadLetter[]> {
  return (await bus.read(dlqTopic, { limit })).map(describe);
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
  const dlqHeaders = new Set<string>(Object.values(DLQ_HEADERS));
  const sub = await bus.subscribe({
    topic: dlqTopic,
    group: REPLAY_GROUP,
    maxAttempts: 10,
    // A replay that cannot publish must not dead-letter the dead letters.
    deadLetterTopic: `${dlqTopic}.unreplayable`,
    handler: async (batch) => {
      const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
      for (const m of batch) {
        const topic = m.headers[DLQ_HEADERS.sourceTopic] ?? dlqTopic.replace(/\.dlq$/, '');
        const headers = Object.fromEntries(Object.entries(m.headers).filter(([name]) => !dlqHeaders.has(name)));
        const list = byTopic.get(topic) ?? [];
        list.push({ key: m.key, value: m.value, headers });
        byTopic.set(topic, list);
      }
      for (const [topic, messages] of byTopic) await bus.publish(topic, messages);
      replayed += batch.length;
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
