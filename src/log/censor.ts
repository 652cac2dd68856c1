// Replaces the values of secret-named fields in a log object, up to a depth, without touching the
// caller's object: a branch is copied only where something in it is censored, so the common line
// (no secret anywhere) costs one walk over its keys and no allocation. One walk with a Set lookup
// per key replaces pino's path-based redaction, whose ~150 wildcard paths were evaluated one by one
// on every line and cost more than the rest of a login's logging (issue #18's profile).
import { pino } from 'pino';

export const CENSOR = '[redacted]';

/** Objects serialised by their own rules (toJSON, binary views): no field of theirs is a log field. */
function opaque(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer || typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * `value` with every field named in `fields` replaced by CENSOR, for fields at nesting levels
 * `depth` … `maxDepth - 1` (level 0 = the log object's own keys). Returns `value` itself when
 * nothing was censored.
 */
export function censorFields(value: unknown, fields: ReadonlySet<string>, maxDepth: number, depth = 0): unknown {
  if (depth >= maxDepth || value === null || typeof value !== 'object' || opaque(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = censorFields(value[i], fields, maxDepth, depth + 1);
      if (next !== value[i]) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  const source = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in source) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const field = source[key];
    const next = fields.has(key) ? CENSOR : censorFields(field, fields, maxDepth, depth + 1);
    if (next !== field) (out ??= { ...source })[key] = next;
  }
  if (!out) return value;
  // An Error's message and stack are not own enumerable fields: keep them in the censored copy.
  return value instanceof Error ? { ...pino.stdSerializers.err(value), ...out } : out;
}
