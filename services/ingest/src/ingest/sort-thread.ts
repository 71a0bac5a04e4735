import { parentPort } from 'node:worker_threads';
import { ReputeError } from '@repute/http';
import { packMessages, type PackedMessages } from './packed-messages.ts';
import { sortRequest, type SortInput } from './sort-request.ts';

/** What a sorting thread answers for one request (see sorter.ts). */
export type SortReply =
  | { id: number; accepted: number; rejectedReasons: string[]; answer: string; messages: PackedMessages }
  | { id: number; problem: { code: string; status: number; title: string; detail: string | undefined } }
  | { id: number; failure: string };

// A thread of the sorter's pool: requests in, bus messages (or the body's problem) out. Nothing
// here holds state between requests, so a thread that dies loses only the requests it held.
parentPort?.on('message', (message: { id: number; input: SortInput }) => {
  const { id, input } = message;
  sortRequest(input).then(
    (sorted) => parentPort!.postMessage({ id, ...sorted, messages: packMessages(sorted.messages) } satisfies SortReply),
    (err: unknown) => {
      const reply: SortReply = err instanceof ReputeError
        ? { id, problem: { code: err.code, status: err.status, title: err.title, detail: err.detail } }
        : { id, failure: err instanceof Error ? err.message : String(err) };
      parentPort!.postMessage(reply);
    },
  );
});
