import { createInterface } from 'node:readline';
import { ApiError, callApi } from '../api-client.ts';
import { apiKeyOf, apiUrlOf } from '../cli-config.ts';
import { CliError, EXIT } from '../cli-error.ts';
import { emit, type CommandContext } from '../context.ts';
import { cannotRead, checkReadable, openInput } from '../input-file.ts';
import { createProgress } from '../progress.ts';
import { restampLines } from '../restamp.ts';

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

/** "invalid_field 2, invalid_json 1": rejections counted by reason, most frequent first. */
function reasonCounts(rejections: readonly Rejection[]): string {
  const counts = new Map<string, number>();
  for (const r of rejections) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${reason} ${n}`).join(', ');
}

const describeRejection = (r: Rejection): string => `line ${r.line}: ${r.reason}${r.field !== undefined && r.field !== '' ? ` (${r.field})` : ''}${r.detail !== undefined ? ` ${r.detail}` : ''}`;

/**
 * `ingest <file.ndjson>` (`-`: standard input): posts the events in chunks of 1000 and sums
 * what was accepted and rejected. A run in which every event was rejected fails (exit 1): the
 * input is not what ingest takes, and a script must not carry on as if it were sent.
 */
export async function ingest(ctx: CommandContext, file: string, options: { url?: string; key?: string; restamp?: boolean }): Promise<number> {
  const size = checkReadable(file);
  const base = apiUrlOf(ctx.config, options.url);
  const key = apiKeyOf(ctx.config, options.key);
  // Standard input has no size to measure progress against.
  const progress = createProgress({ force: ctx.progress && size !== undefined, unit: 'bytes' });
  if (size !== undefined) progress.start(size, 'ingest');
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
  // Restamping shifts every time by how old the latest is: the whole input is read first.
  const held: { line: string; lineNo: number }[] = [];
  const reader = createInterface({ input: openInput(file), crlfDelay: Infinity });
  try {
    try {
      for await (const line of reader) {
        lineNo++;
        bytes += Buffer.byteLength(line) + 1;
        if (line.trim() === '') continue;
        if (options.restamp === true) {
          held.push({ line, lineNo });
          continue;
        }
        chunk.push(line);
        chunkLines.push(lineNo);
        if (chunk.length >= CHUNK) await flush();
      }
    } catch (err) {
      // Checked before reading, but the file may change in between: a system error is the read's.
      if (err instanceof CliError || typeof (err as NodeJS.ErrnoException).code !== 'string') throw err;
      throw cannotRead(file, err);
    }
    const restamped = restampLines(held.map((h) => h.line));
    for (let i = 0; i < restamped.length; i++) {
      chunk.push(restamped[i]!);
      chunkLines.push(held[i]!.lineNo);
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  emit(ctx, { ...totals, rejections, seconds }, () => {
    const lines = rejections.slice(0, 20).map((r) => `  ${describeRejection(r)}`);
    if (rejections.length > 20) lines.push(`  … and ${rejections.length - 20} more (--json lists all)`);
    return `${[`accepted ${totals.accepted}, rejected ${totals.rejected} in ${totals.requests} request(s), ${seconds.toFixed(1)} s`, ...lines].join('\n')}\n`;
  });
  if (totals.accepted === 0 && totals.rejected > 0) {
    const first = rejections[0];
    process.stderr.write(`repute: every event was rejected (${totals.rejected}): ${reasonCounts(rejections)}${first !== undefined ? `; first: ${describeRejection(first)}` : ''}\n`);
    return EXIT.failure;
  }
  return ctx.strict && totals.rejected > 0 ? EXIT.partial : EXIT.ok;
}
