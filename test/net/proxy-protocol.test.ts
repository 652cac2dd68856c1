// The PROXY protocol parser (HAProxy proxy-protocol.txt) on its own: v1 and v2 headers, cut at every
// byte, the spec's limits and every way a header can be wrong.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxyHeader, type ProxyParse } from '../../src/net/index.js';
import { V1_MAX_LENGTH, V2_MAX_LENGTH } from '../../src/net/proxy-protocol.js';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: version/command byte, family/transport byte, then the address block and TLVs. */
function v2(verCmd: number, fam: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([SIG, Buffer.from([verCmd, fam]), len, body]);
}

function inet4(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

function inet6(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36);
  Buffer.from(src, 'hex').copy(b, 0);
  Buffer.from(dst, 'hex').copy(b, 16);
  b.writeUInt16BE(sport, 32);
  b.writeUInt16BE(dport, 34);
  return b;
}

function tlv(type: number, value: Buffer): Buffer {
  const h = Buffer.from([type, 0, 0]);
  h.writeUInt16BE(value.length, 1);
  return Buffer.concat([h, value]);
}

function expectHeader(r: ProxyParse, length: number): NonNullable<Extract<ProxyParse, { kind: 'header' }>['header']> {
  assert.equal(r.kind, 'header', JSON.stringify(r));
  assert.ok(r.kind === 'header');
  assert.equal(r.length, length);
  return r.header;
}

function expectInvalid(r: ProxyParse, reason: RegExp): void {
  assert.equal(r.kind, 'invalid', JSON.stringify(r));
  assert.ok(r.kind === 'invalid');
  assert.match(r.reason, reason);
}

/** Every proper prefix of a header is incomplete, never invalid: segments may split it anywhere. */
function assertIncompleteUntilEnd(header: Buffer): void {
  for (let n = 0; n < header.length; n++) assert.deepEqual(parseProxyHeader(header.subarray(0, n)), { kind: 'incomplete' }, `prefix of ${n} bytes`);
}

describe('PROXY v1', () => {
  it('TCP4: client and destination, the length of the line, bytes after it left alone', () => {
    const line = Buffer.from('PROXY TCP4 192.0.2.7 10.0.0.11 56324 143\r\n');
    const h = expectHeader(parseProxyHeader(Buffer.concat([line, Buffer.from('a1 LOGIN x y\r\n')])), line.length);
    assert.deepEqual(h, { version: 1, source: { address: '192.0.2.7', port: 56324 }, destination: { address: '10.0.0.11', port: 143 } });
    assertIncompleteUntilEnd(line);
  });

  it('TCP6: addresses in canonical form whatever the case and compression written', () => {
    const line = 'PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:10.0.0.1 65535 0\r\n';
    const h = expectHeader(parseProxyHeader(Buffer.from(line)), line.length);
    assert.deepEqual(h.source, { address: '2001:db8::1', port: 65535 });
    assert.deepEqual(h.destination, { address: '::ffff:10.0.0.1', port: 0 });
  });

  it('UNKNOWN, short or with addresses: the real connection is used (no source)', () => {
    assert.deepEqual(expectHeader(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), 15), { version: 1 });
    const worst = `PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`;
    assert.equal(worst.length, V1_MAX_LENGTH);
    assert.deepEqual(expectHeader(parseProxyHeader(Buffer.from(worst)), V1_MAX_LENGTH), { version: 1 });
  });

  it('a line without CRLF within 107 bytes is refused, not waited for', () => {
    expectInvalid(parseProxyHeader(Buffer.from(`PROXY UNKNOWN ${'x'.repeat(120)}`)), /longer than 107/);
    assert.deepEqual(parseProxyHeader(Buffer.from(`PROXY UNKNOWN ${'x'.repeat(80)}`)), { kind: 'incomplete' });
  });

  const bad: Array<[string, RegExp]> = [
    ['PROXY TCP4 192.0.2.7 10.0.0.11 56324 143\n', /LF without CR/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 56324 143\rX\n', /CR without LF/],
    ['PROXY TCP5 192.0.2.7 10.0.0.11 1 2\r\n', /not TCP4, TCP6 or UNKNOWN/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 1\r\n', /exactly five fields/],
    ['PROXY TCP4  192.0.2.7 10.0.0.11 1 2\r\n', /exactly five fields|canonical/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 1 2 \r\n', /exactly five fields/],
    ['PROXY TCP4 192.0.2.07 10.0.0.11 1 2\r\n', /canonical IPv4/],
    ['PROXY TCP4 2001:db8::1 10.0.0.11 1 2\r\n', /canonical IPv4/],
    ['PROXY TCP6 192.0.2.7 2001:db8::2 1 2\r\n', /canonical IPv6/],
    ['PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\r\n', /canonical IPv6/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 65536 2\r\n', /port/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 0143 2\r\n', /port/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 -1 2\r\n', /port/],
    ['PROXY TCP4 192.0.2.7 10.0.0.11 1\t2\r\n', /printable/],
    ['proxy TCP4 192.0.2.7 10.0.0.11 1 2\r\n', /not a PROXY protocol header/],
    ['PROXYTCP4\r\n', /not a PROXY protocol header/],
    ['a1 LOGIN user pass\r\n', /not a PROXY protocol header/],
    ['EHLO client.example\r\n', /not a PROXY protocol header/],
  ];
  for (const [line, reason] of bad) {
    it(`refuses ${JSON.stringify(line)}`, () => expectInvalid(parseProxyHeader(Buffer.from(line)), reason));
  }

  it('a client speaking its protocol is refused at its first byte that cannot start a header', () => {
    expectInvalid(parseProxyHeader(Buffer.from('G')), /not a PROXY/);
    expectInvalid(parseProxyHeader(Buffer.from('PRX')), /not a PROXY/);
  });
});

describe('PROXY v2', () => {
  it('PROXY TCP over IPv4, with the bytes after the header left alone', () => {
    const header = v2(0x21, 0x11, inet4([198, 51, 100, 9], [10, 0, 0, 11], 40000, 993));
    const h = expectHeader(parseProxyHeader(Buffer.concat([header, Buffer.from([0x16, 0x03, 0x01])])), 28);
    assert.deepEqual(h, { version: 2, source: { address: '198.51.100.9', port: 40000 }, destination: { address: '10.0.0.11', port: 993 } });
    assertIncompleteUntilEnd(header);
  });

  it('PROXY TCP over IPv6: canonical text, IPv4-mapped kept as Node writes it', () => {
    const header = v2(0x21, 0x21, inet6('20010db8000000000000000000000001', '00000000000000000000ffff0a00000b', 1, 25));
    const h = expectHeader(parseProxyHeader(header), 16 + 36);
    assert.deepEqual(h.source, { address: '2001:db8::1', port: 1 });
    assert.deepEqual(h.destination, { address: '::ffff:10.0.0.11', port: 25 });
  });

  it('TLVs after the addresses are skipped (SSL, authority, unique id, NOOP, a custom type)', () => {
    const tlvs = Buffer.concat([
      tlv(0x20, Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), tlv(0x21, Buffer.from('TLSv1.3'))])),
      tlv(0x02, Buffer.from('imap.example.org')),
      tlv(0x05, Buffer.alloc(128, 7)),
      tlv(0x04, Buffer.alloc(0)),
      tlv(0xe0, Buffer.from('x')),
    ]);
    const header = v2(0x21, 0x11, Buffer.concat([inet4([192, 0, 2, 1], [192, 0, 2, 2], 5, 6), tlvs]));
    const h = expectHeader(parseProxyHeader(header), header.length);
    assert.equal(h.source?.address, '192.0.2.1');
  });

  it('LOCAL (a health check): accepted whatever its block holds, no source', () => {
    assert.deepEqual(expectHeader(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0))), 16), { version: 2 });
    assert.deepEqual(expectHeader(parseProxyHeader(v2(0x20, 0x11, Buffer.from('not addresses'))), 29), { version: 2 });
  });

  it('UNSPEC and AF_UNIX: accepted, the real connection used', () => {
    assert.deepEqual(expectHeader(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0))), 16), { version: 2 });
    assert.deepEqual(expectHeader(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216))), 16 + 216), { version: 2 });
  });

  it('a length beyond the bound is refused from the fixed 16 bytes, before the body is waited for', () => {
    const fixed = Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])]);
    expectInvalid(parseProxyHeader(fixed), new RegExp(`longer than ${V2_MAX_LENGTH}`));
    const justFits = v2(0x21, 0x11, Buffer.concat([inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlv(0x04, Buffer.alloc(V2_MAX_LENGTH - 16 - 12 - 3))]));
    assert.equal(justFits.length, V2_MAX_LENGTH);
    expectHeader(parseProxyHeader(justFits), V2_MAX_LENGTH);
  });

  const bad: Array<[string, Buffer, RegExp]> = [
    ['version 1 in the binary form', v2(0x11, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), /version is not 2/],
    ['an unassigned command', v2(0x22, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), /neither LOCAL nor PROXY/],
    ['an unknown family', v2(0x21, 0x41, Buffer.alloc(12)), /address family/],
    ['an unknown transport', v2(0x21, 0x13, Buffer.alloc(12)), /transport/],
    ['UDP on a TCP listener', v2(0x21, 0x12, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)), /DGRAM/],
    ['an IPv4 block too short', v2(0x21, 0x11, Buffer.alloc(11)), /shorter than its family/],
    ['an IPv6 block too short', v2(0x21, 0x21, Buffer.alloc(12)), /shorter than its family/],
    ['a TLV cut short', v2(0x21, 0x11, Buffer.concat([inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([0x04, 0x00])])), /TLV cut short/],
    ['a TLV longer than the header', v2(0x21, 0x11, Buffer.concat([inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([0x04, 0x00, 0x09, 1])])), /TLV longer/],
  ];
  for (const [name, header, reason] of bad) {
    it(`refuses ${name}`, () => expectInvalid(parseProxyHeader(header), reason));
  }

  it('a signature that goes wrong is refused at its first wrong byte', () => {
    expectInvalid(parseProxyHeader(Buffer.from('\r\n\r\nX')), /not a PROXY/);
    expectInvalid(parseProxyHeader(Buffer.from('\r\nQUIT\r\n')), /not a PROXY/);
    assert.deepEqual(parseProxyHeader(SIG.subarray(0, 7)), { kind: 'incomplete' });
  });
});
