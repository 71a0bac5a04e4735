import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ApiError, callApi } from '../api-client.ts';
import { apiKeyOf, apiUrlOf } from '../cli-config.ts';
import { CliError, EXIT } from '../cli-error.ts';
import { emit, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';

const CHUNK = 1000;
const MAX_RETRIES = 5;

interface Rejection {
  line: number;
  id?: string;
  reason: string;
  field?: string;
  detail?: string;
}

async function send(base: string, key: string, lines: string[]): Promise<{ accepted: number; rejected: number; rejections: { index: number; id?: string; reason: string; field?: string; detail?: string }[] }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { json } = await callApi(base, key, 'POST', '/v1/telemetry', { raw: `${lines.join('\n')}\n`, contentType: 'application/x-ndjson' });
      return json as Awaited<ReturnType<typeof send>>;
    } catch (err) {
      // 503 means the bus could not take the batch; the same events (same ids) are safe to resend.
      if (!(err instanceof ApiError) || (err.status !== 503 && err.status !== 429) || attempt >= MAX_RETRIES) throw err;
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
  }
}

/** `ingest <file.ndjson>`: posts the events in chunks of 1000 and sums what was accepted and rejected. */
export async function ingest(ctx: CommandContext, file: string, options: { url?: string; key?: string }): Promise<number> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  const base = apiUrlOf(ctx.config, options.url);
  const key = apiKeyOf(ctx.config, options.key);
  const progress = createProgress({ force: ctx.progress, unit: 'bytes' });
  progress.start(size, 'ingest');
  const totals = { accepted: 0, rejected: 0, requests: 0 };
  const rejections: Rejection[] = [];
  let chunk: string[] = [];
  let chunkLines: number[] = [];
  let bytes = 0;
  const started = performance.now();
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const answer = await send(base, key, chunk);
    totals.accepted += answer.accepted;
    totals.rejected += answer.rejected;
    totals.requests++;
    for (const r of answer.rejections ?? []) rejections.push({ line: chunkLines[r.index] ?? -1, ...(r.id !== undefined ? { id: r.id } : {}), reason: r.reason, ...(r.field !== undefined ? { field: r.field } : {}), ...(r.detail !== undefined ? { detail: r.detail } : {}) });
    chunk = [];
    chunkLines = [];
    progress.update(bytes);
  };
  let lineNo = 0;
  const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of reader) {
      lineNo++;
      bytes += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      chunk.push(line);
      chunkLines.push(lineNo);
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  emit(ctx, { ...totals, rejections, seconds }, () => {
    const lines = rejections.slice(0, 20).map((r) => `  line ${r.line}: ${r.reason}${r.field !== undefined ? ` (${r.field})` : ''}${r.detail !== undefined ? ` ${r.detail}` : ''}`);
    if (rejections.length > 20) lines.push(`  … and ${rejections.length - 20} more (--json lists all)`);
    return [`accepted ${totals.accepted}, rejected ${totals.rejected} in ${totals.requests} request(s), ${seconds.toFixed(1)} s`, ...lines].join('\n') + '\n';
  });
  return ctx.strict && totals.rejected > 0 ? EXIT.partial : EXIT.ok;
}
