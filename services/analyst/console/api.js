// @ts-check
// The analyst API as the console calls it: the key from sessionStorage as a Bearer token,
// problem+json answers turned into ApiError so that forms can show them where they were made.

const KEY_ITEM = 'repute.apiKey';
const NAME_ITEM = 'repute.analystName';

/**
 * @typedef {{ type?: string, title?: string, status?: number, code?: string, detail?: string,
 *   errors?: { field: string, reason: string }[] }} Problem
 */

export class ApiError extends Error {
  /** @param {number} status @param {Problem} problem */
  constructor(status, problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/** The key kept for this browser tab only: sessionStorage ends with the tab. */
export const apiKey = {
  get() { return sessionStorage.getItem(KEY_ITEM) ?? ''; },
  /** @param {string} key */
  set(key) { sessionStorage.setItem(KEY_ITEM, key); },
  clear() { sessionStorage.removeItem(KEY_ITEM); },
};

/**
 * The person using the key, when they gave their name: overrides carry it to the audit log and
 * the card (`actor`), so a team sharing a key still sees who decided. Kept like the key.
 */
export const analystName = {
  get() { return sessionStorage.getItem(NAME_ITEM) ?? ''; },
  /** @param {string} name */
  set(name) { if (name === '') sessionStorage.removeItem(NAME_ITEM); else sessionStorage.setItem(NAME_ITEM, name); },
  clear() { sessionStorage.removeItem(NAME_ITEM); },
};

/** @param {Response} res @returns {Promise<Problem>} */
async function problemOf(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (body !== null && typeof body === 'object') return body;
  } catch {
    // Not JSON (a proxy's page): the status line is all there is.
  }
  return { status: res.status, title: res.statusText || `HTTP ${res.status}`, ...(text !== '' ? { detail: text.slice(0, 300) } : {}) };
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json, application/problem+json', authorization: `Bearer ${apiKey.get()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new ApiError(0, { title: 'The API cannot be reached', detail: String(err) });
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  return res.status === 204 ? null : res.json();
}

/** @param {string} path */
export const get = (path) => call('GET', path);

/**
 * Opens a server-sent-events stream with the Bearer key (EventSource cannot send headers, and a
 * key in the URL would land in access logs).
 * @param {string} path
 * @param {AbortSignal} signal
 * @returns {Promise<ReadableStream<Uint8Array>>}
 */
export async function openStream(path, signal) {
  const res = await fetch(path, { headers: { accept: 'text/event-stream', authorization: `Bearer ${apiKey.get()}` }, signal, cache: 'no-store' });
  if (!res.ok || res.body === null) throw new ApiError(res.status, await problemOf(res));
  return res.body;
}

/**
 * Downloads what a GET answers as a file: the key goes in the header (a plain link cannot send
 * it), and the name is the one the API gives in Content-Disposition.
 * @param {string} path @param {string} fallbackName
 */
export async function download(path, fallbackName) {
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${apiKey.get()}` } });
  } catch (err) {
    throw new ApiError(0, { title: 'The API cannot be reached', detail: String(err) });
  }
  if (!res.ok) throw new ApiError(res.status, await problemOf(res));
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `/v1/indicators/{kind}/{value}` and the like, with the value URL-encoded. @param {string} kind @param {string} value */
export const indicatorPath = (kind, value) => `/v1/indicators/${encodeURIComponent(kind)}/${encodeURIComponent(value)}`;
