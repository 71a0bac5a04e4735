import { createBus, dropDeadLetter, listDeadLetters, readDeadLetter, replayDeadLetter, replayDeadLetters, type Bus } from '@repute/bus';
import { redisUrlOf } from '../cli-config.ts';
import { CliError } from '../cli-error.ts';
import { emit, type CommandContext } from '../context.ts';

const log = {
  info() {},
  debug() {},
  warn: (obj: object, msg?: string) => process.stderr.write(`warn: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
  error: (obj: object, msg?: string) => process.stderr.write(`error: ${msg ?? ''} ${JSON.stringify(obj)}\n`),
};

function busOf(ctx: CommandContext) {
  const config = ctx.config;
  return createBus(config.BUS_KIND === 'redis' ? { ...config, REDIS_URL: redisUrlOf(config) } : config, log);
}

/** `dlq list`: the dead letters of the telemetry topic. */
export async function dlqList(ctx: CommandContext, options: { topic?: string; limit: string }): Promise<number> {
  const topic = options.topic ?? `${ctx.config.TELEMETRY_TOPIC}.dlq`;
  await withBus(ctx, async (bus) => {
    const letters = await listDeadLetters(bus, topic, Number(options.limit));
    emit(ctx, letters, () => `${letters.map((l) => JSON.stringify(l)).join('\n')}${letters.length > 0 ? '\n' : ''}${letters.length} dead letter(s) on ${topic}\n`);
  });
  return 0;
}

/** `dlq show <id>`: one dead letter in full (its id is the position `dlq list` gives). */
export async function dlqShow(ctx: CommandContext, id: string, options: { topic?: string }): Promise<number> {
  const topic = options.topic ?? `${ctx.config.TELEMETRY_TOPIC}.dlq`;
  await withBus(ctx, async (bus) => {
    const letter = await readDeadLetter(bus, topic, id);
    if (letter === undefined) throw notFound(id, topic);
    emit(ctx, letter, () => `${JSON.stringify(letter, null, 2)}\n`);
  });
  return 0;
}

/** `dlq drop <id>`: the dead letter is no longer listed or replayed. */
export async function dlqDrop(ctx: CommandContext, id: string, options: { topic?: string }): Promise<number> {
  const topic = options.topic ?? `${ctx.config.TELEMETRY_TOPIC}.dlq`;
  await withBus(ctx, async (bus) => {
    const letter = await dropDeadLetter(bus, topic, id);
    if (letter === undefined) throw notFound(id, topic);
    const dropped = letter.settled === null;
    emit(ctx, { topic, id, dropped, ...(dropped ? {} : { settled: letter.settled }) }, () => (dropped ? `dropped ${id}\n` : `${id} was ${letter.settled!.action} already (${letter.settled!.at})\n`));
  });
  return 0;
}

/** `dlq replay [--id <id>]`: sends one dead letter, or every one not yet replayed, back to its topic. */
export async function dlqReplay(ctx: CommandContext, options: { topic?: string; timeoutMs: string; id?: string }): Promise<number> {
  const topic = options.topic ?? `${ctx.config.TELEMETRY_TOPIC}.dlq`;
  const one = options.id;
  await withBus(ctx, async (bus) => {
    if (one !== undefined) {
      const letter = await replayDeadLetter(bus, topic, one);
      if (letter === undefined) throw notFound(one, topic);
      emit(ctx, { topic, id: one, replayed: 1, to: letter.sourceTopic }, () => `replayed ${one} to ${letter.sourceTopic}\n`);
      return;
    }
    const replayed = await replayDeadLetters(bus, topic, { timeoutMs: Number(options.timeoutMs) });
    emit(ctx, { topic, replayed }, () => `replayed ${replayed}\n`);
  });
  return 0;
}

async function withBus(ctx: CommandContext, fn: (bus: Bus) => Promise<void>): Promise<void> {
  const bus = busOf(ctx);
  try {
    await fn(bus);
  } finally {
    await bus.close();
  }
}

const notFound = (id: string, topic: string): CliError => new CliError(`no dead letter ${id} on ${topic} (ids are the positions \`dlq list\` shows)`);
