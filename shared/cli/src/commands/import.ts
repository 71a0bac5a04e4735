import { createReputationStore } from '@repute/store';
import { EXIT, usageError } from '../cli-error.ts';
import { emit, withRedis, type CommandContext } from '../context.ts';
import { importEntries, type ImportMode, type ImportRejection } from '../import-lists.ts';
import { checkReadable, readInputText, STDIN } from '../input-file.ts';
import { LIST_FORMATS, parseList, sourceName, tierOfPath, type ListFormat } from '../list-formats.ts';
import { createProgress } from '../progress.ts';

export interface FileSummary {
  file: string;
  source: string;
  format: string;
  entries: number;
  imported: number;
  duplicates: number;
  unchanged: number;
  rejected: number;
  /** Rejections by reason. */
  reasons: Record<string, number>;
  /** The first few rejections, to see what they look like. */
  examples: ImportRejection[];
  seconds: number;
}

/**
 * `import --as allow|deny <file...>`: reads plain lists, CSV, STIX 2.1 bundles, MISP warning
 * lists, maltrail trails and IPsum (`-`: from standard input), and writes their indicators as
 * records.
 */
export async function importLists(ctx: CommandContext, files: string[], options: { as: string; format: string; source?: string; verdict?: string; concurrency: string }): Promise<number> {
  if (options.as !== 'allow' && options.as !== 'deny') throw usageError(`--as must be allow or deny, got ${options.as}`);
  if (!(LIST_FORMATS as readonly string[]).includes(options.format)) throw usageError(`--format must be one of ${LIST_FORMATS.join(', ')}`);
  if (options.verdict !== undefined && options.verdict !== 'malicious' && options.verdict !== 'suspicious') throw usageError('--verdict must be malicious or suspicious');
  if (options.source !== undefined && files.length > 1) throw usageError('--source names one list; give one file with it');
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usageError('--concurrency must be a positive integer');
  if (files.filter((f) => f === STDIN).length > 1) throw usageError('standard input (-) can be read once; give it once');
  for (const file of files) checkReadable(file);
  const mode = options.as as ImportMode;
  const summaries: FileSummary[] = [];
  const started = performance.now();
  await withRedis(ctx.config, async (redis) => {
    const store = createReputationStore(redis, { prefix: ctx.config.REDIS_KEY_PREFIX });
    const seen = new Set<string>();
    const progress = createProgress({ force: ctx.progress, unit: 'entries' });
    for (const file of files) {
      const t0 = performance.now();
      const parsed = parseList(file, await readInputText(file), options.format as ListFormat);
      // Standard input has no folder and file name to name the list by.
      const source = options.source ?? (file === STDIN ? 'stdin' : sourceName(file));
      progress.start(parsed.entries.length, source);
      const result = await importEntries(store, parsed.entries, {
        mode, source, seen, concurrency,
        tier: (options.verdict as 'malicious' | 'suspicious' | undefined) ?? tierOfPath(file),
        onProgress: (done) => progress.update(done),
      });
      progress.stop();
      const rejected = [...parsed.rejects.map((r) => ({ line: r.line, value: r.raw, reason: r.reason })), ...result.rejected];
      const reasons: Record<string, number> = {};
      for (const r of rejected) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
      const summary: FileSummary = {
        file, source, format: parsed.format, entries: parsed.entries.length + parsed.rejects.length,
        imported: result.imported, duplicates: result.duplicates, unchanged: result.unchanged, rejected: rejected.length,
        reasons, examples: rejected.slice(0, 5), seconds: (performance.now() - t0) / 1000,
      };
      summaries.push(summary);
      if (!ctx.json) {
        const why = Object.entries(reasons).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
        process.stdout.write(`${file}: ${summary.format}, ${summary.entries} entries: imported ${summary.imported}, duplicates ${summary.duplicates}, unchanged ${summary.unchanged}, rejected ${summary.rejected}${why !== '' ? ` (${why})` : ''}\n`);
      }
    }
  });
  const totals = summaries.reduce((t, s) => ({ entries: t.entries + s.entries, imported: t.imported + s.imported, duplicates: t.duplicates + s.duplicates, unchanged: t.unchanged + s.unchanged, rejected: t.rejected + s.rejected }), { entries: 0, imported: 0, duplicates: 0, unchanged: 0, rejected: 0 });
  const seconds = (performance.now() - started) / 1000;
  emit(ctx, { as: mode, files: summaries, totals, seconds }, () =>
    `${mode}: ${files.length} file(s), ${totals.entries} entries: imported ${totals.imported}, duplicates ${totals.duplicates}, unchanged ${totals.unchanged}, rejected ${totals.rejected} in ${seconds.toFixed(1)} s\n`);
  return ctx.strict && totals.rejected > 0 ? EXIT.partial : EXIT.ok;
}
