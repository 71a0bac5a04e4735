/**
 * Lines written as UTF-8 into one growing Buffer as they are made. A batch's telemetry rows wait
 * for their insert for hundreds of milliseconds; kept as strings they outlived two young
 * collections and were copied into the old generation, and joined they made one more string of
 * megabytes. Written here each line dies young, and the bytes sit outside the collected heap.
 */
export class LineBuffer {
  #buffer: Buffer;
  #length = 0;
  #lines = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Appends `line` and a newline; `line` must not contain one (a JSON text never does). */
  push(line: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8, so this much room always suffices.
    const room = line.length * 3 + 1;
    if (this.#length + room > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + room));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(line, this.#length, 'utf8');
    this.#buffer[this.#length++] = 0x0a;
    this.#lines += 1;
  }

  get lines(): number {
    return this.#lines;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}
