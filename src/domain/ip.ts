// IP addresses as 16 bytes (IPv4 as IPv4-mapped IPv6, ::ffff:a.b.c.d), so that one address has one spelling and a
// CIDR block is one contiguous range of byte strings. Pure: no node:net, so it runs anywhere.

/** An inclusive range of addresses, 16 bytes each: one address (lo = hi) or a CIDR block. */
export interface IpRange {
  lo: Uint8Array;
  hi: Uint8Array;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4Bytes(text: string, out: Uint8Array, at: number): boolean {
  const m = V4.exec(text);
  if (!m) return false;
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1];
    // No leading zeros (they read as octal in some tools): one spelling per address.
    if (part.length > 1 && part[0] === '0') return false;
    const n = Number(part);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/** The 16 bytes of an IPv4 or IPv6 address, or undefined if `text` is not one (zone ids are refused). */
export function ipBytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  if (V4.test(text)) {
    out[10] = 0xff;
    out[11] = 0xff;
    return v4Bytes(text, out, 12) ? out : undefined;
  }
  if (text.length < 2 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = words(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? words(halves[1], true) : [];
  if (!head || !tail) return undefined;
  const zeros = 8 - head.length - tail.length;
  // Without `::` there must be eight words; with it, `::` stands for at least one zero word.
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) return undefined;
  [...head, ...new Array<number>(halves.length === 2 ? zeros : 0).fill(0), ...tail].forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

/** The 16-bit words of one side of an IPv6 address; the last part may be a dotted quad when `last`. */
function words(side: string, last: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (last && i === parts.length - 1 && p.includes('.')) {
      const four = new Uint8Array(4);
      if (!v4Bytes(p, four, 0)) return undefined;
      out.push((four[0] << 8) | four[1], (four[2] << 8) | four[3]);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) {
      out.push(Number.parseInt(p, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

/**
 * The bytes of a stored address. Annals refuses zone ids (`fe80::1%eth0`) today, but the first release accepted
 * them: such an address is indexed, and found, as the address without its zone.
 */
export function addressBytes(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  return ipBytes(zone < 0 ? text : text.slice(0, zone));
}

/** Whether 16 address bytes are an IPv4-mapped address. */
function isMapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** The one spelling of an address: dotted quad for IPv4 (and IPv4-mapped IPv6), RFC 5952 for IPv6. */
export function formatIp(bytes: Uint8Array): string {
  if (isMapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2] << 8) | bytes[i * 2 + 1]);
  // The longest run of two or more zero words becomes `::` (the first such run on a tie).
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) { best = i; bestLength = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLength))}`;
}

/**
 * An address (`10.0.0.1`, `2001:db8::1`) or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) as a range. Bits past the
 * prefix may be set (`10.1.2.3/8` is 10.0.0.0/8), as most tools allow. Returns a reason when it is neither.
 */
export function ipRange(text: string): IpRange | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = ipBytes(address);
  if (!bytes) return `'${address}' is not an IPv4 or IPv6 address`;
  if (slash < 0) return { lo: bytes, hi: bytes };
  const prefixText = text.slice(slash + 1);
  const v4 = V4.test(address);
  const max = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `'/${prefixText}' is not a prefix length from 0 to ${max}`;
  const bits = Number(prefixText) + (v4 ? 96 : 0);
  const lo = new Uint8Array(bytes);
  const hi = new Uint8Array(bytes);
  for (let bit = bits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    lo[byte] &= ~mask;
    hi[byte] |= mask;
  }
  return { lo, hi };
}

/** Whether address bytes lie in a range (byte-wise, as every store compares them). */
export function inRange(bytes: Uint8Array, range: IpRange): boolean {
  return compareBytes(bytes, range.lo) >= 0 && compareBytes(bytes, range.hi) <= 0;
}

/**
 * The same addresses as `ranges`, in order, none overlapping another (a block and an address or block within it are
 * one range; CIDR blocks either nest or are apart).
 */
export function disjointRanges(ranges: readonly IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  for (const r of [...ranges].sort((a, b) => compareBytes(a.lo, b.lo))) {
    const last = out[out.length - 1];
    if (last && compareBytes(r.lo, last.hi) <= 0) {
      if (compareBytes(r.hi, last.hi) > 0) out[out.length - 1] = { lo: last.lo, hi: r.hi };
    } else {
      out.push(r);
    }
  }
  return out;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
