// IP addresses as 16 bytes: parsing against node:net, one spelling (RFC 5952, as WHATWG URLs print IPv6), CIDR ranges.
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { addressBytes, compareBytes, disjointRanges, formatIp, inRange, ipBytes, ipRange, type IpRange } from '../../src/domain/ip.js';

const normaliseIp = (text: string) => { const b = ipBytes(text); return b && formatIp(b); };

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

describe('ip addresses', () => {
  test('valid and invalid spellings agree with node:net', () => {
    const samples = [
      '0.0.0.0', '255.255.255.255', '10.1.2.3', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '::', '::1', '1::',
      '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:db8::1::2', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::',
      '::ffff:10.0.0.1', '::ffff:1.2.3.256', '64:ff9b::192.0.2.33', 'fe80::1%eth0', ':1', '1:', 'g::1', '12345::1', '',
      '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', ' 1.2.3.4', '::1.2.3.4',
    ];
    for (const s of samples) {
      // Zone ids (fe80::1%eth0) are refused on purpose: an address is compared by its bytes alone.
      const expected = s.includes('%') ? false : isIP(s) !== 0;
      assert.equal(ipBytes(s) !== undefined, expected, s);
    }
  });

  test('IPv6 is printed as WHATWG URLs print it (RFC 5952), IPv4 and IPv4-mapped as a dotted quad', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (words) => {
      const bytes = new Uint8Array(16);
      words.forEach((w, i) => { bytes[2 * i] = w >> 8; bytes[2 * i + 1] = w & 0xff; });
      const text = formatIp(bytes);
      assert.equal(hex(ipBytes(text)), hex(bytes), 'round trip');
      const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
      if (!mapped) assert.equal(text, new URL(`http://[${text}]/`).hostname.slice(1, -1));
      assert.equal(normaliseIp(text.toUpperCase()), text);
    }), { numRuns: 500 });
    assert.equal(normaliseIp('0:0::1'), '::1');
    assert.equal(normaliseIp('::FFFF:10.0.0.1'), '10.0.0.1');
    assert.equal(normaliseIp('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
    assert.equal(ipBytes('fe80::1%eth0'), undefined, 'zone ids are refused');
    assert.equal(formatIp(addressBytes('fe80::1%eth0')!), 'fe80::1', '...but an address stored with one is indexed without it');
  });

  test('CIDR blocks are inclusive byte ranges', () => {
    const r = ipRange('10.1.2.3/8');
    assert.ok(typeof r !== 'string');
    assert.equal(formatIp(r.lo), '10.0.0.0');
    assert.equal(formatIp(r.hi), '10.255.255.255');
    assert.ok(inRange(ipBytes('10.200.0.1')!, r));
    assert.ok(!inRange(ipBytes('11.0.0.0')!, r));
    const v6 = ipRange('2001:db8::/32');
    assert.ok(typeof v6 !== 'string');
    assert.equal(formatIp(v6.hi), '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.ok(inRange(ipBytes('2001:db8:1::5')!, v6));
    assert.ok(!inRange(ipBytes('10.0.0.1')!, v6), 'IPv4 is never inside an IPv6 block');
    const all4 = ipRange('0.0.0.0/0');
    assert.ok(typeof all4 !== 'string' && inRange(ipBytes('8.8.8.8')!, all4) && !inRange(ipBytes('::1')!, all4));
    const one = ipRange('192.0.2.1');
    assert.ok(typeof one !== 'string' && compareBytes(one.lo, one.hi) === 0);
    assert.match(String(ipRange('10.0.0.0/33')), /prefix length from 0 to 32/);
    assert.match(String(ipRange('::/129')), /prefix length from 0 to 128/);
    assert.match(String(ipRange('10.0.0.0/x')), /prefix length/);
    assert.match(String(ipRange('nope/8')), /not an IPv4 or IPv6 address/);
  });

  test('ranges made disjoint hold the same addresses, in order, none sharing one with another', () => {
    const range = (t: string) => ipRange(t) as IpRange;
    const show = (rs: IpRange[]) => rs.map((r) => `${formatIp(r.lo)}-${formatIp(r.hi)}`);
    assert.deepEqual(show(disjointRanges([range('10.2.0.0/16'), range('10.0.0.0/8'), range('10.3.4.5'), range('::1'), range('9.9.9.9'), range('9.9.9.9')])),
      ['::1-::1', '9.9.9.9-9.9.9.9', '10.0.0.0-10.255.255.255']);
    // Against random blocks and addresses: an address is in the result exactly when it is in one of the ranges.
    const prefixes = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3', '10.200.0.0/12', '11.0.0.0/8', '2001:db8::/32', '2001:db8::5'];
    fc.assert(fc.property(fc.subarray(prefixes), fc.array(fc.constantFrom('10.1.2.3', '10.1.9.9', '10.3.0.1', '11.2.3.4', '12.0.0.1', '2001:db8::5', '2001:db8:1::1', '::1')), (chosen, probes) => {
      const ranges = chosen.map(range);
      const out = disjointRanges(ranges);
      for (let i = 1; i < out.length; i++) assert.ok(compareBytes(out[i - 1].hi, out[i].lo) < 0, 'in order, apart');
      for (const p of probes) assert.equal(out.some((r) => inRange(ipBytes(p)!, r)), ranges.some((r) => inRange(ipBytes(p)!, r)), p);
    }));
  });
});
