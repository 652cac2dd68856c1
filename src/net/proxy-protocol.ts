// The PROXY protocol header a TCP load balancer puts before the client's bytes (HAProxy's
// proxy-protocol.txt, versions 1 and 2): who the client really is. Pure: bytes in, a verdict out,
// so it is fuzzed on its own (fuzz/targets/proxy-protocol.fuzz.ts). The listener (proxy-reader.ts)
// feeds it what has arrived so far, as often as it likes: a header cut across TCP segments is
// "incomplete" until its last byte, and bytes after the header are never part of the verdict.
import { isIP, SocketAddress } from 'node:net';

export interface ProxyEndpoint {
  /** Canonical text form, as Node writes a socket's remoteAddress (2001:db8::1, ::ffff:10.0.0.1). */
  address: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  /**
   * The original connection's endpoints; absent when the proxy says it has none to give (v1 UNKNOWN,
   * v2 LOCAL health checks, v2 UNSPEC or AF_UNIX): the connection is then the proxy's own.
   */
  source?: ProxyEndpoint;
  destination?: ProxyEndpoint;
}

export type ProxyParse =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  /** `length`: bytes of the header; what follows belongs to the protocol behind it. */
  | { kind: 'header'; header: ProxyHeader; length: number };

/** v1: the longest line the spec allows, CRLF included ("PROXY UNKNOWN" with two IPv6 addresses). */
export const V1_MAX_LENGTH = 107;
/**
 * v2: the 16-byte fixed part plus addresses and TLVs. The spec allows 65535 bytes of them; a load
 * balancer sends addresses (at most 216 bytes) and a few TLVs (SSL details, an authority, a unique
 * id of at most 128 bytes), so anything longer is refused before it is buffered.
 */
export const V2_MAX_LENGTH = 1024;
/** Enough bytes to tell a header from anything else: the spec's largest limit. */
export const PROXY_MAX_LENGTH = Math.max(V1_MAX_LENGTH, V2_MAX_LENGTH);

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED = 16;

/** Parses the header at the start of `data` (everything received so far). */
export function parseProxyHeader(data: Uint8Array): ProxyParse {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) return { kind: 'incomplete' };
  if (buf[0] === V1_PREFIX[0]) return parseV1(buf);
  if (buf[0] === V2_SIGNATURE[0]) return parseV2(buf);
  return invalid('not a PROXY protocol header');
}

function invalid(reason: string): ProxyParse {
  return { kind: 'invalid', reason };
}

/** `buf` starts like `expected` for as many bytes as both have. */
function startsLike(buf: Buffer, expected: Buffer): boolean {
  const n = Math.min(buf.length, expected.length);
  return buf.subarray(0, n).equals(expected.subarray(0, n));
}

// ---- version 1 (text) ---------------------------------------------------------------------------

function parseV1(buf: Buffer): ProxyParse {
  if (!startsLike(buf, V1_PREFIX)) return invalid('not a PROXY protocol header');
  const window = buf.subarray(0, V1_MAX_LENGTH);
  const lf = window.indexOf(0x0a);
  const cr = window.indexOf(0x0d);
  // A lone CR or LF never ends the line (spec 2.1): the first of them must be the CR of a CRLF.
  if (lf >= 0 && (cr < 0 || cr > lf)) return invalid('v1 line ends with LF without CR');
  if (cr >= 0 && cr + 1 < window.length && window[cr + 1] !== 0x0a) return invalid('v1 line has a CR without LF');
  if (lf < 0) return buf.length >= V1_MAX_LENGTH ? invalid(`v1 line longer than ${V1_MAX_LENGTH} bytes`) : { kind: 'incomplete' };
  const line = window.subarray(0, cr);
  for (const b of line) if (b < 0x20 || b > 0x7e) return invalid('v1 line is not printable US-ASCII');
  const fields = line.toString('latin1').split(' ');
  const length = lf + 1;
  const proto = fields[1];
  // UNKNOWN: the receiver ignores the rest of the line and uses the real connection (spec 2.1).
  if (proto === 'UNKNOWN') return { kind: 'header', header: { version: 1 }, length };
  if (proto !== 'TCP4' && proto !== 'TCP6') return invalid('v1 protocol is not TCP4, TCP6 or UNKNOWN');
  if (fields.length !== 6) return invalid('v1 line does not have exactly five fields after PROXY');
  const family = proto === 'TCP4' ? 4 : 6;
  const src = v1Address(fields[2]!, family);
  const dst = v1Address(fields[3]!, family);
  const srcPort = v1Port(fields[4]!);
  const dstPort = v1Port(fields[5]!);
  if (src === undefined || dst === undefined) return invalid(`v1 address is not a canonical IPv${family} address`);
  if (srcPort === undefined || dstPort === undefined) return invalid('v1 port is not a decimal number 0-65535 without leading zeros');
  return { kind: 'header', header: { version: 1, source: { address: src, port: srcPort }, destination: { address: dst, port: dstPort } }, length };
}

function v1Address(text: string, family: 4 | 6): string | undefined {
  if (isIP(text) !== family) return undefined;
  // No leading zeros in IPv4 octets (they could be read as octal); isIP already refuses most.
  if (family === 4) return text.split('.').every((o) => o === '0' || !o.startsWith('0')) ? text : undefined;
  // A zone id (fe80::1%eth0) names an interface of the proxy's host, not an address.
  if (text.includes('%')) return undefined;
  return canonicalIpv6(text);
}

function v1Port(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function canonicalIpv6(text: string): string {
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

// ---- version 2 (binary) -------------------------------------------------------------------------

const CMD_LOCAL = 0x0;
const CMD_PROXY = 0x1;
const AF_UNSPEC = 0x0;
const AF_INET = 0x1;
const AF_INET6 = 0x2;
const AF_UNIX = 0x3;
const PROTO_UNSPEC = 0x0;
const PROTO_STREAM = 0x1;
const PROTO_DGRAM = 0x2;
/** Address block sizes by family (spec 2.2): two addresses and, for INET/INET6, two ports. */
const ADDRESS_LENGTH: Record<number, number> = { [AF_UNSPEC]: 0, [AF_INET]: 12, [AF_INET6]: 36, [AF_UNIX]: 216 };

function parseV2(buf: Buffer): ProxyParse {
  if (!startsLike(buf, V2_SIGNATURE)) return invalid('not a PROXY protocol header');
  if (buf.length < V2_FIXED) return { kind: 'incomplete' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2) return invalid('v2 version is not 2');
  const command = verCmd & 0x0f;
  if (command !== CMD_LOCAL && command !== CMD_PROXY) return invalid('v2 command is neither LOCAL nor PROXY');
  const family = buf[13]! >> 4;
  const transport = buf[13]! & 0x0f;
  if (!(family in ADDRESS_LENGTH)) return invalid('v2 address family is not one of the spec');
  if (transport !== PROTO_UNSPEC && transport !== PROTO_STREAM && transport !== PROTO_DGRAM) return invalid('v2 transport is not one of the spec');
  const bodyLength = buf.readUInt16BE(14);
  const length = V2_FIXED + bodyLength;
  // Refused on the fixed part alone, before the body is waited for or buffered.
  if (length > V2_MAX_LENGTH) return invalid(`v2 header longer than ${V2_MAX_LENGTH} bytes`);
  if (buf.length < length) return { kind: 'incomplete' };
  const body = buf.subarray(V2_FIXED, length);
  // LOCAL: a connection of the proxy's own (a health check); whatever the block holds is skipped.
  if (command === CMD_LOCAL) return { kind: 'header', header: { version: 2 }, length };
  const addressLength = ADDRESS_LENGTH[family]!;
  if (body.length < addressLength) return invalid('v2 address block shorter than its family needs');
  const tlvError = checkTlvs(body.subarray(addressLength));
  if (tlvError !== undefined) return invalid(tlvError);
  // The spec lets the receiver accept what it does not implement and use the real endpoints;
  // a datagram flow cannot be what arrives on a TCP listener, so that one is refused.
  if (transport === PROTO_DGRAM) return invalid('v2 transport is DGRAM on a stream listener');
  if (transport === PROTO_UNSPEC || family === AF_UNSPEC || family === AF_UNIX) return { kind: 'header', header: { version: 2 }, length };
  const [source, destination] = family === AF_INET ? inetEndpoints(body) : inet6Endpoints(body);
  return { kind: 'header', header: { version: 2, source, destination }, length };
}

/** The TLVs after the addresses must tile the rest of the block exactly; their values are skipped. */
function checkTlvs(tlvs: Buffer): string | undefined {
  let at = 0;
  while (at < tlvs.length) {
    if (tlvs.length - at < 3) return 'v2 TLV cut short';
    const valueLength = tlvs.readUInt16BE(at + 1);
    at += 3 + valueLength;
    if (at > tlvs.length) return 'v2 TLV longer than the header';
  }
  return undefined;
}

function inetEndpoints(body: Buffer): [ProxyEndpoint, ProxyEndpoint] {
  const ip = (at: number): string => `${body[at]}.${body[at + 1]}.${body[at + 2]}.${body[at + 3]}`;
  return [
    { address: ip(0), port: body.readUInt16BE(8) },
    { address: ip(4), port: body.readUInt16BE(10) },
  ];
}

function inet6Endpoints(body: Buffer): [ProxyEndpoint, ProxyEndpoint] {
  const ip = (at: number): string => {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(body.readUInt16BE(at + i).toString(16));
    return canonicalIpv6(groups.join(':'));
  };
  return [
    { address: ip(0), port: body.readUInt16BE(32) },
    { address: ip(16), port: body.readUInt16BE(34) },
  ];
}
