// Two listeners on one address cannot both start; finding that at load time gives one clear message
// instead of an EADDRINUSE from whichever server happens to start second.
import { ConfigError } from './errors.js';
import type { HostPort } from './types.js';

export interface BindUse {
  address: HostPort;
  file: string;
  key: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '*']);

function overlaps(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.port === 0) return false; // port 0 = a fresh ephemeral port each time
  const ha = a.host.toLowerCase();
  const hb = b.host.toLowerCase();
  return ha === hb || WILDCARDS.has(ha) || WILDCARDS.has(hb);
}

function show(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function checkDuplicateBinds(uses: BindUse[]): void {
  for (let i = 0; i < uses.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = uses[j];
      const b = uses[i];
      if (a && b && overlaps(a.address, b.address)) {
        const same = show(a.address) === show(b.address);
        throw new ConfigError({
          file: b.file,
          key: b.key,
          value: show(b.address),
          allowed: `${show(a.address)} is already used by ${a.key} in ${a.file}${same ? '' : ' (a wildcard address covers every interface)'}; give each listener its own port`,
          problem: 'duplicate bind address',
        });
      }
    }
  }
}
