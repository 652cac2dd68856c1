// Compiled Sieve scripts, cached by the sha256 of their text: a user's active script is compiled once,
// not at every delivery, and an edit (new text, new hash) is picked up at the next delivery without
// any invalidation. A script that does not compile is cached as such, so a broken script costs one
// compile, and each delivery to its owner is an implicit keep with the error logged.
import { createHash } from 'node:crypto';
import { compileSieve, type CompiledSieve, type SieveError } from '../../sieve/index.js';

export type CompileOutcome = { ok: true; script: CompiledSieve } | { ok: false; errors: SieveError[] };

/** Distinct scripts kept; the least recently used goes first. */
const MAX_ENTRIES = 512;

export class CompiledScripts {
  private readonly entries = new Map<string, CompileOutcome>();

  get(text: string): CompileOutcome {
    const key = createHash('sha256').update(text).digest('hex');
    const hit = this.entries.get(key);
    if (hit) {
      // Map iteration order is insertion order: re-inserting marks the entry as recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const outcome = compileSieve(text);
    this.entries.set(key, outcome);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return outcome;
  }
}
