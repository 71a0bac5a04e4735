// @ts-check
import { openStream } from './api.js';

/**
 * @typedef {{ id: string, type: string, kind: string, value: string, digest: string, verdict: string,
 *   score: number | null, version: number | null, time: string }} VerdictEvent
 */

/**
 * Splits a text/event-stream into events (the WHATWG rules the console needs: `event`, `data`,
 * `id`, comments, blank-line dispatch).
 * @param {ReadableStream<Uint8Array>} body
 * @param {(event: { type: string, data: string, id: string }) => void} onEvent
 */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let type = 'message';
  let data = [];
  let id = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onEvent({ type, data: data.join('\n'), id });
        type = 'message'; data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = text;
      else if (field === 'data') data.push(text);
      else if (field === 'id') id = text;
    }
  }
}

/** The newest changes asked for on opening, so the feed is not empty until something changes. */
const RECENT = 20;

/**
 * Follows `GET /v1/feed/verdicts`, reconnecting with back-off while the page is open. The first
 * connection asks for the newest changes too (`recent` events, older than the page).
 * @param {{ onEvent: (e: VerdictEvent, recent: boolean) => void, onStatus: (status: 'connecting' | 'live' | 'offline', detail?: string) => void }} handlers
 * @returns {() => void} stops following
 */
export function followVerdicts(handlers) {
  const abort = new AbortController();
  let delay = 1000;
  let opened = false;
  (async () => {
    while (!abort.signal.aborted) {
      handlers.onStatus('connecting');
      try {
        const body = await openStream(opened ? '/v1/feed/verdicts' : `/v1/feed/verdicts?recent=${RECENT}`, abort.signal);
        opened = true;
        handlers.onStatus('live');
        delay = 1000;
        await readEvents(body, (e) => {
          if (e.type === 'verdict' || e.type === 'recent') handlers.onEvent(JSON.parse(e.data), e.type === 'recent');
        });
        handlers.onStatus('offline', 'the stream ended');
      } catch (err) {
        if (abort.signal.aborted) return;
        handlers.onStatus('offline', err instanceof Error ? err.message : String(err));
        // An unauthorised key will not become valid by retrying.
        if (err !== null && typeof err === 'object' && 'status' in err && (err.status === 401 || err.status === 403)) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(30_000, delay * 2);
    }
  })();
  return () => abort.abort();
}
