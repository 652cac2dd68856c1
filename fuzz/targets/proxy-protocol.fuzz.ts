// The PROXY protocol header parser (src/net/proxy-protocol.ts): the input is what a load balancer (or
// anyone reaching a PROXY listener) sends first on a connection, header and what follows.
//
// Invariants:
//  - the parser never throws;
//  - the verdict does not depend on how the bytes were cut into reads: fed the growing prefixes a
//    socket would deliver, the first verdict that is not "incomplete" is the verdict on the whole;
//  - a verdict, once given, stands whatever comes after (bytes after a header are the protocol's);
//  - waiting is bounded: "incomplete" only below PROXY_MAX_LENGTH bytes, a header within its version's
//    limit, and every proper prefix of a header is "incomplete";
//  - a client endpoint is a canonical IP address (as Node writes a socket's) with a port 0-65535.
import { isIP, SocketAddress } from 'node:net';
import { parseProxyHeader, PROXY_MAX_LENGTH, V1_MAX_LENGTH, V2_MAX_LENGTH, type ProxyEndpoint, type ProxyParse } from '../../src/net/proxy-protocol.js';
import { check, checkEqual, show } from '../support/invariant.js';
import { chunkings } from '../support/chunks.js';

function checkEndpoint(e: ProxyEndpoint | undefined, what: string): void {
  if (e === undefined) return;
  const family = isIP(e.address);
  check(family !== 0, () => `${what} ${show(e.address)} is not an IP address`);
  checkEqual(new SocketAddress({ address: e.address, family: family === 4 ? 'ipv4' : 'ipv6' }).address, e.address, `${what} address in canonical form`);
  check(Number.isInteger(e.port) && e.port >= 0 && e.port <= 65535, () => `${what} port ${e.port}`);
}

function checkVerdict(data: Buffer, r: ProxyParse): void {
  if (r.kind === 'incomplete') {
    check(data.length < PROXY_MAX_LENGTH, () => `still incomplete after ${data.length} bytes`);
    return;
  }
  if (r.kind === 'invalid') {
    check(r.reason.length > 0, 'invalid without a reason');
    return;
  }
  const limit = r.header.version === 1 ? V1_MAX_LENGTH : V2_MAX_LENGTH;
  check(r.length > 0 && r.length <= limit && r.length <= data.length, () => `header length ${r.length} (v${r.header.version}, ${data.length} bytes)`);
  check((r.header.source === undefined) === (r.header.destination === undefined), 'source without destination or the reverse');
  checkEndpoint(r.header.source, 'source');
  checkEndpoint(r.header.destination, 'destination');
  const exact = parseProxyHeader(data.subarray(0, r.length));
  checkEqual(exact, r, 'the header alone, without what follows');
  const cut = r.length - 1 - (data.length % r.length);
  checkEqual(parseProxyHeader(data.subarray(0, cut)), { kind: 'incomplete' }, `a ${cut}-byte prefix of the ${r.length}-byte header`);
}

export function fuzz(data: Buffer): void {
  const whole = parseProxyHeader(data);
  checkVerdict(data, whole);
  if (whole.kind !== 'incomplete') checkEqual(parseProxyHeader(Buffer.concat([data, Buffer.from('\r\nPROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n')])), whole, 'the verdict with more bytes after');
  for (const pieces of chunkings(data)) {
    let received = 0;
    let verdict: ProxyParse = { kind: 'incomplete' };
    for (const piece of pieces) {
      received += piece.length;
      verdict = parseProxyHeader(data.subarray(0, received));
      if (verdict.kind !== 'incomplete') break;
    }
    checkEqual(verdict, whole, `the verdict when the bytes arrive in ${pieces.length} pieces`);
  }
}
