import { isIndicatorKind } from '@repute/core';
import { callApi } from '../api-client.ts';
import { apiKeyOf, apiUrlOf } from '../cli-config.ts';
import { EXIT, usageError } from '../cli-error.ts';
import { emit, type CommandContext } from '../context.ts';
import { detectKind } from '../detect-kind.ts';
import { readInputText, STDIN } from '../input-file.ts';
import { createProgress } from '../progress.ts';

const BATCH = 1000;

interface Item {
  status: string;
  kind?: string;
  value?: string;
  verdict?: string;
  score?: number;
  reason?: string;
  reasons?: { rule: string; detail?: string }[];
}

const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

/** `lookup`: indicators from arguments, --file (`-`: stdin) or stdin, answered through POST /v1/reputation/batch. */
export async function lookup(ctx: CommandContext, values: string[], options: { kind?: string; file?: string; url?: string; key?: string }): Promise<number> {
  if (options.kind !== undefined && !isIndicatorKind(options.kind)) throw usageError(`--kind must be file, url, domain, ip or email, got ${options.kind}`);
  const raw = [...values];
  if (options.file !== undefined) raw.push(...lines(await readInputText(options.file)));
  if (values.length === 0 && options.file === undefined && !process.stdin.isTTY) raw.push(...lines(await readInputText(STDIN)));
  if (raw.length === 0) throw usageError('nothing to look up: give indicators as arguments, --file, or on stdin');
  const base = apiUrlOf(ctx.config, options.url);
  const key = apiKeyOf(ctx.config, options.key);

  const results: Item[] = new Array(raw.length);
  const toSend: { index: number; kind: string; value: string }[] = [];
  raw.forEach((value, index) => {
    const detected = options.kind !== undefined ? { kind: options.kind, value } : detectKind(value);
    if ('reason' in detected) results[index] = { status: 'invalid', value, reason: detected.reason };
    else toSend.push({ index, kind: detected.kind, value: detected.value });
  });
  const progress = createProgress({ force: ctx.progress && toSend.length > BATCH, unit: 'indicators' });
  if (toSend.length > BATCH) progress.start(toSend.length, 'lookup');
  for (let i = 0; i < toSend.length; i += BATCH) {
    const chunk = toSend.slice(i, i + BATCH);
    const { json } = await callApi(base, key, 'POST', '/v1/reputation/batch', { json: { indicators: chunk.map(({ kind, value }) => ({ kind, value })) } });
    const answer = json as { results: Item[] };
    // Unknown answers leave out kind and verdict; `unknown` is an answer, so say it.
    chunk.forEach((item, j) => {
      const a = answer.results[j] ?? { status: 'invalid', reason: 'no answer' };
      results[item.index] = { kind: item.kind, ...(a.status === 'unknown' ? { verdict: 'unknown' } : {}), ...a };
    });
    progress.update(Math.min(i + BATCH, toSend.length));
  }
  progress.stop();
  const counts = { found: 0, unknown: 0, invalid: 0 };
  for (const r of results) {
    if (r.status === 'found') counts.found++;
    else if (r.status === 'invalid') counts.invalid++;
    else counts.unknown++;
  }
  emit(ctx, { counts, results }, () => `${results.map((r, i) => {
    if (r.status === 'invalid') return `invalid\t${raw[i]}\t${r.reason ?? ''}`;
    const why = (r.reasons ?? []).map((x) => (x.detail !== undefined ? `${x.rule} (${x.detail})` : x.rule)).join(', ');
    return `${r.verdict ?? 'unknown'}\t${r.kind ?? ''}\t${r.value ?? raw[i]}\t${r.score ?? '-'}\t${why}`;
  }).join('\n')}\n`);
  return ctx.strict && counts.invalid > 0 ? EXIT.partial : EXIT.ok;
}
