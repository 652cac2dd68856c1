// Where the embedded store lives inside a data directory, so `tessera serve` and the command-line
// tools (import/export) open the same files.
import { join } from 'node:path';

/** Where the embedded store keeps store.sqlite and blobs/ inside the data directory: one place for all. */
export function storeDirectory(dataDir: string): string {
  return join(dataDir, 'store');
}
