import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { CliError, EXIT, usageError } from '../cli-error.ts';
import { emit, type CommandContext } from '../context.ts';
import { detectKind } from '../detect-kind.ts';
import { dnsListName } from '../dns-list-name.ts';

export interface DnsQueryOptions {
  zone: string;
  server: string;
  timeout: string;
}

interface DnsQueryResult {
  indicator: string;
  name: string;
  server: string;
  listed: boolean;
  codes: string[];
  text: string | null;
}

/** host:port, [v6]:port or a bare host (port 53). */
function serverOf(raw: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(raw);
  const [host, port] = bracketed !== null ? [bracketed[1]!, bracketed[2] ?? '53'] : raw.includes(':') && isIP(raw) === 0 ? [raw.slice(0, raw.lastIndexOf(':')), raw.slice(raw.lastIndexOf(':') + 1)] : [raw, '53'];
  if (isIP(host) === 0) throw usageError(`--server must be an address (host:port), got ${raw}`);
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw usageError(`--server port must be 1-65535, got ${port}`);
  return isIP(host) === 6 ? `[${host}]:${n}` : `${host}:${n}`;
}

const notFound = (err: unknown): boolean => ['ENOTFOUND', 'ENODATA'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * `dns query`: asks a Repute DNS list (or any RFC 5782 list) about one indicator, as a mail
 * server would: the A return codes, and the TXT reason when listed. Exits 0 whether listed
 * or not; 1 when the server does not answer or refuses.
 */
export async function dnsQuery(ctx: CommandContext, indicator: string, options: DnsQueryOptions): Promise<number> {
  const detected = detectKind(indicator);
  if ('reason' in detected) throw usageError(`cannot tell what "${indicator}" is (${detected.reason})`);
  let name: string;
  try {
    name = dnsListName(detected, options.zone);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const server = serverOf(options.server);
  const resolver = new Resolver({ timeout: Number(options.timeout), tries: 2 });
  resolver.setServers([server]);
  const result: DnsQueryResult = { indicator, name, server, listed: false, codes: [], text: null };
  try {
    result.codes = await resolver.resolve4(name);
    result.listed = result.codes.length > 0;
  } catch (err) {
    if (!notFound(err)) throw new CliError(`${server} did not answer ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.failure, { cause: err });
  }
  if (result.listed) {
    try {
      result.text = (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')).join(' ') || null;
    } catch (err) {
      if (!notFound(err)) throw new CliError(`${server} did not answer ${name} TXT: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.failure, { cause: err });
    }
  }
  emit(ctx, result, () => result.listed
    ? `${indicator}: listed (${result.codes.join(', ')})${result.text !== null ? `\n  ${result.text}` : ''}\n`
    : `${indicator}: not listed (${name})\n`);
  return EXIT.ok;
}
