// A page of leaves as one run of bytes. The embedded store reads a page's bodies packed into one value (its rows
// crossing into JavaScript one by one, a string each, cost about as much as the read itself), and the API splices
// them into envelopes as bytes, so a page's text is neither decoded from UTF-8 nor encoded back. A caller that needs
// an event's text (to parse it) decodes that one leaf.

/**
 * A byte string: one character per byte (Latin-1, Node's 'latin1'), so that string operations work on UTF-8 bytes
 * without decoding them. Every ASCII character (all JSON syntax among them) reads as itself, and no byte of a
 * multi-byte UTF-8 sequence is ASCII, so searching a leaf's byte string for an ASCII landmark finds what searching
 * its text would; written back with 'latin1', a byte string gives its bytes exactly.
 */
export type ByteString = string;

/** `text`'s UTF-8 bytes as a byte string. */
export function byteString(text: string): ByteString {
  // Pure ASCII (URLs, cursors, numbers: what a page's envelope adds) is its own byte string.
  return ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

const ASCII = /^[\x00-\x7f]*$/;

/** The most bytes copied out as one string by byteStrings: well short of V8's large objects (128 KiB and more). */
const RUN_BYTES = 64 * 1024;

/** Leaves (each an event's stored canonical JSON, UTF-8) one after another, and the offset at which each ends. */
export class PageLeaves {
  static readonly none = new PageLeaves(Buffer.alloc(0), []);

  readonly #bytes: Buffer;
  readonly #ends: readonly number[];
  /** The leaves' texts, where they were given as texts: not decoded again. */
  #texts: readonly string[] | undefined;

  /** `ends[i]`: where leaf i ends in `bytes` (leaf 0 starts at 0); bytes past the last end belong to no leaf. */
  constructor(bytes: Buffer, ends: readonly number[]) {
    this.#bytes = bytes;
    this.#ends = ends;
  }

  /** Leaves given as their texts (a store whose driver hands back strings). */
  static fromTexts(texts: readonly string[]): PageLeaves {
    const leaves = packed(texts.map((t) => Buffer.from(t, 'utf8')));
    if (texts.length > 0) leaves.#texts = texts;
    return leaves;
  }

  get length(): number {
    return this.#ends.length;
  }

  /** Leaf i's text. */
  text(i: number): string {
    const start = this.#start(i);
    return this.#texts?.[i] ?? this.#bytes.toString('utf8', start, this.#ends[i]);
  }

  texts(): string[] {
    return this.#ends.map((_, i) => this.text(i));
  }

  /**
   * Every leaf's bytes as a byte string (see ByteString). Runs of leaves are copied out of the Buffer as one string
   * each and cut into leaves (a copy a leaf cost more), every run short of V8's large-object space (a string there
   * on every page made GC steps of milliseconds: see joined-body.ts).
   */
  byteStrings(): ByteString[] {
    const n = this.#ends.length;
    const out: ByteString[] = new Array(n);
    for (let first = 0; first < n;) {
      const from = this.#start(first);
      let last = first;
      while (last + 1 < n && this.#ends[last + 1] - from <= RUN_BYTES) last++;
      const run = this.#bytes.toString('latin1', from, this.#ends[last]);
      for (let i = first; i <= last; i++) out[i] = run.slice(this.#start(i) - from, this.#ends[i] - from);
      first = last + 1;
    }
    return out;
  }

  /** The same leaves, last first. */
  reversed(): PageLeaves {
    const parts: Buffer[] = [];
    for (let i = this.length - 1; i >= 0; i--) parts.push(this.#bytes.subarray(this.#start(i), this.#ends[i]));
    const leaves = packed(parts);
    if (this.#texts !== undefined) leaves.#texts = [...this.#texts].reverse();
    return leaves;
  }

  #start(i: number): number {
    if (!(i >= 0 && i < this.#ends.length)) throw new RangeError(`no leaf ${i} in a page of ${this.#ends.length}`);
    return i === 0 ? 0 : this.#ends[i - 1];
  }
}

/** `parts` (each a leaf's bytes) as one page. */
function packed(parts: readonly Buffer[]): PageLeaves {
  if (parts.length === 0) return PageLeaves.none;
  const ends: number[] = [];
  let end = 0;
  for (const part of parts) ends.push((end += part.length));
  return new PageLeaves(Buffer.concat(parts, end), ends);
}
