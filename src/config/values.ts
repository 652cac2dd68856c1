// Pure parsers for the value syntaxes found in James configuration files. They know nothing about
// files or keys: they throw InvalidValue with "what is allowed", and the caller adds file and key.
import { isIP } from 'node:net';
import type { HostPort } from './types.js';

export class InvalidValue extends Error {
  /** `value`: the offending part when only one item of a list is wrong. */
  constructor(readonly allowed: string, readonly problem?: string, readonly value?: string) {
    super(allowed);
    this.name = 'InvalidValue';
  }
}

export function parseBoolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InvalidValue('write true or false');
}

export function parseInteger(raw: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  const v = raw.trim();
  if (!/^[+-]?\d+$/.test(v)) throw new InvalidValue(`write a whole number from ${min} to ${max}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidValue(`write a whole number from ${min} to ${max}`, 'out of range');
  }
  return n;
}

const PORT_HINT = 'a port is a number from 1 to 65535 (0 picks a free port, for tests)';

export function parsePort(raw: string): number {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) throw new InvalidValue(PORT_HINT);
  const n = Number(v);
  if (n > 65535) throw new InvalidValue(PORT_HINT, 'port out of range');
  return n;
}

const HOST_RE = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A host name or IP literal; IPv6 may be bracketed. Returned without brackets. */
export function parseHost(raw: string): string {
  let v = raw.trim();
  if (v.startsWith('[') && v.endsWith(']')) {
    v = v.slice(1, -1);
    if (isIP(v) !== 6) throw new InvalidValue('brackets are only for IPv6 addresses, e.g. [::1]');
    return v;
  }
  if (isIP(v) !== 0 || HOST_RE.test(v)) return v;
  throw new InvalidValue('write an IP address or host name, e.g. 0.0.0.0, ::1 or mail.example.com');
}

const BIND_HINT = 'write host:port, comma-separated, e.g. 0.0.0.0:143, [::1]:143';

export function parseHostPort(raw: string): HostPort {
  const v = raw.trim();
  const m = /^\[([^\]]+)\]:(\S+)$/.exec(v) ?? /^([^:\s]+):(\S+)$/.exec(v);
  if (!m) {
    const hint = isIP(v) === 6 || v.split(':').length > 2 ? `; put IPv6 addresses in brackets, e.g. [::1]:143` : '';
    throw new InvalidValue(BIND_HINT + hint);
  }
  const hostRaw = m[1] ?? '';
  const portRaw = m[2] ?? '';
  let host: string;
  if (v.startsWith('[')) {
    if (isIP(hostRaw) !== 6) throw new InvalidValue(BIND_HINT);
    host = hostRaw;
  } else {
    try {
      host = parseHost(hostRaw);
    } catch {
      throw new InvalidValue(BIND_HINT);
    }
  }
  const port = parsePort(portRaw);
  return { host, port };
}

/** Comma-separated list, blanks dropped. */
export function splitList(raw: string, separators: RegExp = /,/): string[] {
  return raw.split(separators).map((s) => s.trim()).filter((s) => s.length > 0);
}

export function parseHostPortList(raw: string): HostPort[] {
  const items = splitList(raw);
  if (items.length === 0) throw new InvalidValue(BIND_HINT, 'empty bind address');
  return items.map((item) => blameItem(item, parseHostPort));
}

/** Runs `parse` on one list item so that an error names that item, not the whole list. */
function blameItem<T>(item: string, parse: (raw: string) => T): T {
  try {
    return parse(item);
  } catch (err) {
    if (err instanceof InvalidValue && err.value === undefined) throw new InvalidValue(err.allowed, err.problem, item);
    throw err;
  }
}

const CIDR_HINT = 'write IP addresses or CIDR ranges, comma-separated, e.g. 127.0.0.0/8, ::1, 10.0.0.0/255.0.0.0 or 10.*';

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Prefix length of a contiguous IPv4 netmask (255.255.0.0 → 16), or undefined. */
function netmaskPrefix(mask: string): number | undefined {
  if (isIP(mask) !== 4) return undefined;
  const n = ipv4ToInt(mask);
  for (let len = 0; len <= 32; len++) {
    const expected = len === 0 ? 0 : (2 ** 32 - 2 ** (32 - len));
    if (n === expected) return len;
  }
  return undefined;
}

/**
 * One network in any form James' authorizedAddresses accepts (plain IP, CIDR, IP/netmask, `10.*`),
 * normalised to `address/prefix` with host bits cleared so that consumers parse one syntax only.
 */
export function parseCidr(raw: string): string {
  const v = raw.trim();
  const wildcard = /^(\d{1,3}(?:\.\d{1,3}){0,3})\.\*$/.exec(v);
  if (wildcard) {
    const parts = (wildcard[1] ?? '').split('.');
    const full = [...parts, ...Array<string>(4 - parts.length).fill('0')].join('.');
    if (isIP(full) !== 4) throw new InvalidValue(CIDR_HINT);
    return `${full}/${parts.length * 8}`;
  }
  const [addr = '', prefixRaw, ...rest] = v.split('/');
  if (rest.length > 0) throw new InvalidValue(CIDR_HINT);
  const family = isIP(addr);
  if (family === 0) throw new InvalidValue(CIDR_HINT + ' (host names are not accepted)');
  const maxLen = family === 4 ? 32 : 128;
  let prefix = maxLen;
  if (prefixRaw !== undefined) {
    if (/^\d{1,3}$/.test(prefixRaw)) prefix = Number(prefixRaw);
    else if (family === 4 && netmaskPrefix(prefixRaw) !== undefined) prefix = netmaskPrefix(prefixRaw) ?? 32;
    else throw new InvalidValue(CIDR_HINT);
    if (prefix > maxLen) throw new InvalidValue(CIDR_HINT, 'prefix length out of range');
  }
  if (family === 4) {
    const hostBits = 2 ** (32 - prefix);
    const network = Math.floor(ipv4ToInt(addr) / hostBits) * hostBits;
    return `${intToIpv4(network)}/${prefix}`;
  }
  return `${addr.toLowerCase()}/${prefix}`;
}

export function parseCidrList(raw: string): string[] {
  return splitList(raw).map((item) => blameItem(item, parseCidr));
}

const SIZE_UNITS: Record<string, number> = { B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3 };

/** A size such as `50M`, `512K` or `1024`; a bare number is in `bareUnit` (James' maxmessagesize is KB). */
export function parseSize(raw: string, bareUnit: 'B' | 'K' = 'B'): number {
  const m = /^(\d+)\s*([A-Za-z]*)$/.exec(raw.trim());
  const unit = (m?.[2] ?? '').toUpperCase() || bareUnit;
  const factor = SIZE_UNITS[unit];
  if (!m || factor === undefined) {
    throw new InvalidValue(`write a size such as 1024, 512K, 50M or 1G (a bare number is in ${bareUnit === 'K' ? 'kilobytes' : 'bytes'})`);
  }
  const n = Number(m[1]) * factor;
  if (!Number.isSafeInteger(n)) throw new InvalidValue('size too large', 'out of range');
  return n;
}

/** Seconds, optionally written with an s/m/h suffix (`300`, `5m`). */
export function parseSeconds(raw: string): number {
  const m = /^(\d+)\s*([smh]?)$/i.exec(raw.trim());
  if (!m) throw new InvalidValue('write a number of seconds, e.g. 300 or 5m');
  const factor = { '': 1, s: 1, m: 60, h: 3600 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * factor;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1,
  s: 1000, sec: 1000, secs: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/**
 * A duration as James' DurationParser reads it (`5m`, `300 s`, `2 hours`), in milliseconds; a bare
 * number is in `bareUnit` (James' default differs per key: milliseconds for most, seconds for some).
 */
export function parseJamesDuration(raw: string, bareUnit: 'ms' | 's'): number {
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(raw);
  const unit = (m?.[2] ?? '').toLowerCase();
  const factor = unit === '' ? (bareUnit === 'ms' ? 1 : 1000) : DURATION_UNITS_MS[unit];
  if (!m || factor === undefined) {
    throw new InvalidValue(`write a duration such as 300s, 5m or 1h (units ms, s, m, h, d; a bare number is in ${bareUnit === 'ms' ? 'milliseconds' : 'seconds'})`);
  }
  const n = Number(m[1]) * factor;
  if (!Number.isSafeInteger(n)) throw new InvalidValue('duration too large', 'out of range');
  return n;
}

export function parseUrl(raw: string, protocols: readonly string[] = ['http:', 'https:']): string {
  const v = raw.trim();
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new InvalidValue(`write an absolute URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new InvalidValue(`write an absolute URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return v;
}

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): T {
  const v = raw.trim();
  const found = allowed.find((a) => a === v) ?? allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (found === undefined) throw new InvalidValue(`allowed values: ${allowed.join(', ')}`);
  return found;
}
