// One setting, several accepted names (James' current name, a legacy James name, the original
// Tessera proposal's name). Old names still work but warn; old and new disagreeing is an error,
// because silently preferring one would run the server with a setting the operator did not mean.
import type { FileContext } from './context.js';
import type { RawValue } from './xml.js';

export interface Candidate<T> {
  value: RawValue | undefined;
  parse: (raw: string) => T;
  /** Set for an old name: the key to use instead, and why the old one exists. */
  deprecated?: { replacement: string; origin: 'legacy James name' | "the original proposal's name" };
}

export interface Resolved<T> {
  value: T;
  key: string;
  raw: string;
}

export function deprecationMessage(replacement: string, origin: string): string {
  return `deprecated (${origin}); use ${replacement} instead`;
}

/** Reads every present candidate; returns the current name's value, or the old name's when alone. */
export function resolveAliases<T>(ctx: FileContext, candidates: Candidate<T>[]): Resolved<T> | undefined {
  const present: (Resolved<T> & { deprecated: boolean })[] = [];
  for (const c of candidates) {
    if (!c.value) continue;
    const { raw, key } = c.value;
    const value = ctx.parse(key, raw, c.parse);
    if (c.deprecated) ctx.warn(key, deprecationMessage(c.deprecated.replacement, c.deprecated.origin));
    present.push({ value, key, raw, deprecated: c.deprecated !== undefined });
  }
  const [first] = present;
  if (!first) return undefined;
  for (const other of present.slice(1)) {
    if (JSON.stringify(other.value) !== JSON.stringify(first.value)) {
      // Blame the old name; between two current spellings, the later candidate (callers list the
      // preferred spelling first).
      const [older, newer] = first.deprecated && !other.deprecated ? [first, other] : [other, first];
      ctx.fail(
        older.key,
        older.raw,
        `it contradicts ${newer.key} = ${JSON.stringify(newer.raw)}; keep only ${newer.key}`,
        'conflicting value',
      );
    }
  }
  const current = present.find((p) => !p.deprecated) ?? first;
  return { value: current.value, key: current.key, raw: current.raw };
}
