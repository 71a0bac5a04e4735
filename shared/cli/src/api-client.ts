import { CliError } from './cli-error.ts';

/** An answer of the HTTP API that was not a success, with its problem document. */
export class ApiError extends CliError {
  readonly status: number;
  readonly problem: Record<string, unknown> | undefined;
  constructor(status: number, problem: Record<string, unknown> | undefined, text: string) {
    const detail = problem !== undefined ? `${String(problem['title'] ?? '')}${problem['detail'] !== undefined ? `: ${String(problem['detail'])}` : ''}` : text.slice(0, 200);
    super(`the API answered ${status}: ${detail}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the HTTP API with the key; JSON in and out, problems as ApiError. */
export async function callApi(base: string, key: string, method: string, path: string, body?: { json?: unknown; raw?: string | Buffer; contentType?: string }): Promise<{ status: number; headers: Headers; json: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
  let payload: string | Buffer | undefined;
  if (body?.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body?.raw !== undefined) {
    headers['content-type'] = body.contentType ?? 'application/octet-stream';
    payload = body.raw;
  }
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  } catch (err) {
    throw new CliError(`cannot reach ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}; is \`npm start\` running? (--url or REPUTE_API_URL)`, 1, { cause: err });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined, text);
  return { status: res.status, headers: res.headers, json };
}
