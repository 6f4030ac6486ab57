// Seeded randomness for the demo generator: a small, fast PRNG (sfc32) and an alias table for O(1) weighted picks.
// Everything the demo produces is derived from these, so a seed fully determines the output.

/** sfc32 (Chris Doty-Humphrey's Small Fast Counter): 128 bits of state, passes PractRand, ~1 ns per number. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** `stream` separates independent sequences drawn from the same seed (the cast, the content, the events). */
  constructor(seed: number, stream = 0) {
    this.#a = 0x9e3779b9 ^ stream;
    this.#b = 0x243f6a88 ^ Math.imul(stream, 0x85ebca6b);
    this.#c = 0xb7e15162 ^ (seed >>> 0);
    this.#d = 1;
    // The seed may be any number (fractions, values beyond 32 bits, negatives): fold all of it in.
    this.#a ^= Math.floor(seed / 0x1_0000_0000) >>> 0;
    this.#b ^= Math.floor((seed - Math.floor(seed)) * 0x1_0000_0000) >>> 0;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A standard normal deviate (Box-Muller; only used while building pools, so the spare is not kept). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.u32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }

  /** A version-4-shaped UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = '89ab'[this.int(4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

/** Walker/Vose alias table: weighted sampling of an index in O(1) with one random number. */
export class AliasTable {
  readonly size: number;
  readonly #prob: Float64Array;
  readonly #alias: Int32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new RangeError('AliasTable needs at least one weight');
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`AliasTable weight ${i} is not a finite non-negative number`);
      total += w;
    }
    if (total <= 0) throw new RangeError('AliasTable weights sum to zero');
    this.size = n;
    this.#prob = new Float64Array(n);
    this.#alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.#prob[s] = scaled[s];
      this.#alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) this.#prob[i] = 1;
    for (const i of small) this.#prob[i] = 1; // only rounding error leaves anything here
    for (let i = 0; i < n; i++) if (this.#prob[i] === 1) this.#alias[i] = i;
  }

  /** An index drawn with probability proportional to its weight. */
  sample(rng: Rng): number {
    const x = rng.next() * this.size;
    const i = Math.floor(x);
    return x - i < this.#prob[i] ? i : this.#alias[i];
  }
}
