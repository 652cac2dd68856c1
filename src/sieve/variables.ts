// RFC 5229 variables: `${name}` and `${N}` references, the :lower… modifiers of `set`, and scopes
// (each included script has its own, `global` names are shared, RFC 6609 §3.4).
import { SieveLimitError } from './errors.js';

const REFERENCE = /\$\{([^{}]*)\}/g;
const NAME = /^(?:[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export class VariableScope {
  private readonly locals = new Map<string, string>();
  private readonly globalNames = new Set<string>();

  constructor(
    private readonly globals: Map<string, string>,
    private readonly maxLength: number,
    private readonly maxVariables: number,
  ) {}

  declareGlobal(name: string): void {
    this.globalNames.add(name.toLowerCase());
  }

  private mapFor(name: string): Map<string, string> {
    return this.globalNames.has(name) ? this.globals : this.locals;
  }

  get(name: string): string {
    const lower = name.toLowerCase();
    // RFC 6609 §3.5: "global.x" always names the global variable x.
    if (lower.startsWith('global.')) return this.globals.get(lower.slice(7)) ?? '';
    return this.mapFor(lower).get(lower) ?? '';
  }

  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    const map = lower.startsWith('global.') ? this.globals : this.mapFor(lower);
    const key = lower.startsWith('global.') ? lower.slice(7) : lower;
    if (!map.has(key) && this.locals.size + this.globals.size >= this.maxVariables) {
      throw new SieveLimitError(`more than ${this.maxVariables} variables`);
    }
    map.set(key, truncate(value, this.maxLength));
  }
}

/** Cuts at maxLength characters without splitting a surrogate pair. */
export function truncate(value: string, maxLength: number): string {
  if (value.length <= maxLength) return value;
  let end = maxLength;
  const c = value.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return value.slice(0, end);
}

/** Replaces variable references; references that are not names (e.g. "${a b}") stay as written. */
export function expandVariables(text: string, scope: VariableScope, matchVars: string[], maxLength: number): string {
  if (!text.includes('${')) return text;
  const out = text.replace(REFERENCE, (whole, name: string) => {
    if (/^[0-9]+$/.test(name)) return matchVars[Number(name)] ?? '';
    if (NAME.test(name)) return scope.get(name);
    return whole;
  });
  return truncate(out, maxLength);
}

/** `set` modifiers, applied from the highest precedence down (RFC 5229 §4.1). */
export function applyModifiers(value: string, tags: ReadonlyMap<string, unknown>): string {
  let v = value;
  if (tags.has('lower')) v = v.toLowerCase();
  if (tags.has('upper')) v = v.toUpperCase();
  if (tags.has('lowerfirst')) v = v.charAt(0).toLowerCase() + v.slice(1);
  if (tags.has('upperfirst')) v = v.charAt(0).toUpperCase() + v.slice(1);
  if (tags.has('quotewildcard')) v = v.replace(/[*?\\]/g, (c) => `\\${c}`);
  if (tags.has('length')) v = String(Array.from(v).length);
  return v;
}
