import type { OutgoingMessage } from '@repute/bus';

/**
 * Bus messages as they cross between threads: every key, then every value, in one string, and
 * where each ends. Copying one long string costs a fraction of cloning a thousand objects of two
 * strings each (the clone was a third of the thread's time), and the other side reads each back
 * as a slice of it, without a copy.
 */
export interface PackedMessages {
  text: string;
  ends: Uint32Array;
}

export function packMessages(messages: OutgoingMessage[]): PackedMessages {
  const ends = new Uint32Array(messages.length * 2);
  let text = '';
  for (let i = 0; i < messages.length; i++) {
    text += messages[i]!.key;
    ends[i] = text.length;
  }
  for (let i = 0; i < messages.length; i++) {
    text += messages[i]!.value;
    ends[messages.length + i] = text.length;
  }
  return { text, ends };
}

export function unpackMessages(packed: PackedMessages): OutgoingMessage[] {
  const n = packed.ends.length / 2;
  const messages: OutgoingMessage[] = new Array(n);
  let keyStart = 0;
  let valueStart = n === 0 ? 0 : packed.ends[n - 1]!;
  for (let i = 0; i < n; i++) {
    const keyEnd = packed.ends[i]!;
    const valueEnd = packed.ends[n + i]!;
    messages[i] = { key: packed.text.slice(keyStart, keyEnd), value: packed.text.slice(valueStart, valueEnd) };
    keyStart = keyEnd;
    valueStart = valueEnd;
  }
  return messages;
}
