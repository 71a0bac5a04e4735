import { createBus, listDeadLetters, replayDeadLetters } from '@repute/bus';
import { redisUrlOf } from '../cli-config.ts';
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
  const bus = busOf(ctx);
  try {
    const letters = await listDeadLetters(bus, topic, Number(options.limit));
    emit(ctx, letters, () => `${letters.map((l) => JSON.stringify(l)).join('\n')}${letters.length > 0 ? '\n' : ''}${letters.length} dead letter(s) on ${topic}\n`);
  } finally {
    await bus.close();
  }
  return 0;
}

/** `dlq replay`: sends every dead letter not yet replayed back to its topic. */
export async function dlqReplay(ctx: CommandContext, options: { topic?: string; timeoutMs: string }): Promise<number> {
  const topic = options.topic ?? `${ctx.config.TELEMETRY_TOPIC}.dlq`;
  const bus = busOf(ctx);
  try {
    const replayed = await replayDeadLetters(bus, topic, { timeoutMs: Number(options.timeoutMs) });
    emit(ctx, { topic, replayed }, () => `replayed ${replayed}\n`);
  } finally {
    await bus.close();
  }
  return 0;
}
