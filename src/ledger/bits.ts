// Bit arithmetic on tree sizes and indices. Sizes are JS numbers (safe integers, < 2^53), so the 32-bit operators
// (`>>`, `|`, `^`, `&`) are wrong on them past 2^31. Every helper here splits a value into its high and low 32-bit
// halves (`n >>> 0` is exactly n mod 2^32 for any safe integer, by ToUint32) or uses division. Pure.

const TWO_32 = 0x1_0000_0000;

/** Throws (a RangeError, or an E) unless n is a safe integer >= 0. `what` names the argument in the message. */
export function assertSafeNat(n: number, what: string, E: new (message: string) => Error = RangeError): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new E(`${what} must be a safe integer >= 0, got ${String(n)}`);
  }
}

/** 2^k, exact for 0 <= k <= 53. */
export function pow2(k: number): number {
  return 2 ** k;
}

/** floor(n / 2^k). Requires n a safe integer >= 0. */
export function shr(n: number, k: number): number {
  return Math.floor(n / 2 ** k);
}

function bitLength32(x: number): number {
  return 32 - Math.clz32(x);
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function trailingZeros32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The number of bits needed to write n: 0 for 0, k + 1 for 2^k <= n < 2^(k+1). Requires n a safe integer >= 0. */
export function bitLength(n: number): number {
  if (n < TWO_32) return bitLength32(n);
  return 32 + bitLength32(Math.floor(n / TWO_32));
}

/** The number of one bits in n. Requires n a safe integer >= 0. */
export function popcount(n: number): number {
  return popcount32(n >>> 0) + popcount32(Math.floor(n / TWO_32));
}

/** The number of trailing zero bits of n. Requires n a safe integer > 0 (returns 53 for 0, the width of a size). */
export function trailingZeros(n: number): number {
  if (n === 0) return 53;
  const low = n >>> 0;
  if (low !== 0) return trailingZeros32(low);
  return 32 + trailingZeros32(Math.floor(n / TWO_32));
}

/** bitLength(a XOR b): one more than the position of the highest bit where a and b differ (0 if a == b). */
export function xorBitLength(a: number, b: number): number {
  const highA = Math.floor(a / TWO_32);
  const highB = Math.floor(b / TWO_32);
  if (highA !== highB) return 32 + bitLength32(highA ^ highB);
  return bitLength32((a >>> 0) ^ (b >>> 0));
}

/** Whether n is a power of two (1, 2, 4, …). Requires n a safe integer >= 0. */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && popcount(n) === 1;
}
