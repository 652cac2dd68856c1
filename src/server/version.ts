// Tessera's version, from package.json (two levels up from both src/server and dist/server).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function tesseraVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
