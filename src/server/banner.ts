// The start-up banner printed on stdout: what listens where, and where the data is. Operators read
// it; scripts should use the JSON log instead.
import type { ProtocolServer } from '../core/protocol.js';
import type { SelfSignedCertificate } from './context.js';

export interface BannerInput {
  version: string;
  servers: readonly ProtocolServer[];
  dataDir: string;
  confDir: string;
  selfSigned?: SelfSignedCertificate;
}

export function formatBanner(input: BannerInput): string {
  const lines = [`Tessera ${input.version} is running (conf: ${input.confDir})`];
  const width = Math.max(12, ...input.servers.map((s) => s.name.length + 2));
  const row = (label: string, value: string): string => `  ${label.padEnd(width)}${value}`;
  if (input.servers.length === 0) lines.push('  no protocol listener is enabled');
  for (const server of input.servers) {
    const addresses = server.describe();
    addresses.forEach((address, i) => lines.push(row(i === 0 ? server.name : '', address)));
    if (addresses.length === 0) lines.push(row(server.name, '(not listening)'));
  }
  lines.push(row('data', input.dataDir));
  if (input.selfSigned) {
    lines.push(row('certificate', `${input.selfSigned.certPath} (self-signed, SHA-256 ${input.selfSigned.fingerprint256})`));
  }
  lines.push('Stop with Ctrl-C or SIGTERM.');
  return `${lines.join('\n')}\n`;
}
