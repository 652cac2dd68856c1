// Which properties of a type a client may write in /set (RFC 8620 §5.3). Each /set type describes
// its properties once; the engine then refuses, for every type alike, a create that names a
// server-set or unknown property and an update that changes a server-set or immutable one, with one
// invalidProperties SetError listing every offending property.
import { SetFailure, setError } from '../errors.js';
import type { Json, JsonObject } from '../core/types.js';
import { isJsonObject } from '../core/types.js';

/** A list of property names, or a test for types whose names are open-ended (header:X forms). */
export type PropertyNames = readonly string[] | ((property: string) => boolean);

export interface SetPropertyRules {
  /** Set only by the server (id, counters…): never in a create; in an update only with the current value. */
  serverSet: PropertyNames;
  /** Set by the client on create only: in an update only with the current value. */
  immutable: PropertyNames;
  /** Writable on create and update. Anything in none of the three lists is unknown, hence invalid. */
  mutable: PropertyNames;
}

type PropertyKind = 'serverSet' | 'immutable' | 'mutable' | 'unknown';

function has(names: PropertyNames, property: string): boolean {
  return typeof names === 'function' ? names(property) : names.includes(property);
}

function kindOf(rules: SetPropertyRules, property: string): PropertyKind {
  if (has(rules.serverSet, property)) return 'serverSet';
  if (has(rules.mutable, property)) return 'mutable';
  if (has(rules.immutable, property)) return 'immutable';
  return 'unknown';
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** A patch key is a property name or a JSON pointer into one ("keywords/$seen"): its property. */
export function patchProperty(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

function valueAt(obj: Record<string, Json>, key: string): Json | undefined {
  let value: Json | undefined = obj;
  for (const token of key.split('/').map(unescapeToken)) {
    if (Array.isArray(value) && /^(0|[1-9][0-9]*)$/.test(token)) value = value[Number(token)];
    else if (isJsonObject(value) && Object.prototype.hasOwnProperty.call(value, token)) value = value[token];
    else return undefined;
  }
  return value;
}

/** Equality of JSON values, object keys in any order. */
export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

function refuse(properties: string[]): never {
  const unique = [...new Set(properties)];
  throw setError('invalidProperties', `cannot set ${unique.join(', ')}`, { properties: unique });
}

/**
 * The invalid properties of one object being created or updated. RFC 8620 §5.3 makes `properties`
 * of an invalidProperties SetError the list of every invalid property, so the engine records the
 * rule violations here, the type records each bad value it reads, and one SetError names them all.
 */
export class PropertyErrors {
  private readonly names: string[] = [];
  private readonly notes = new Set<string>();
  private failed = false;

  /** Records offending properties, with why when known. */
  add(properties: readonly string[], description?: string): void {
    if (properties.length === 0 && description === undefined) return;
    this.failed = true;
    this.names.push(...properties);
    if (description !== undefined) this.notes.add(description);
  }

  /** Runs one reader: an invalidProperties SetError it throws is recorded and undefined returned; any other error propagates. */
  read<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (err) {
      this.absorb(err);
      return undefined;
    }
  }

  /** read() for an async reader. */
  async readAsync<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (err) {
      this.absorb(err);
      return undefined;
    }
  }

  private absorb(err: unknown): void {
    if (!(err instanceof SetFailure) || err.error.type !== 'invalidProperties') throw err;
    this.failed = true;
    this.add(err.error.properties ?? [], err.error.description);
  }

  get empty(): boolean {
    return !this.failed;
  }

  /** Throws one invalidProperties SetError naming every recorded property once; nothing when none. */
  check(): void {
    if (!this.failed) return;
    const properties = [...new Set(this.names)];
    const description = this.notes.size > 0 ? [...this.notes].join('; ') : `cannot set ${properties.join(', ')}`;
    throw setError('invalidProperties', description, { properties });
  }
}

/** The properties a create may not name: server-set and unknown ones. */
export function createViolations(rules: SetPropertyRules, obj: JsonObject): string[] {
  return Object.keys(obj).filter((p) => {
    const kind = kindOf(rules, p);
    return kind === 'serverSet' || kind === 'unknown';
  });
}

/** A create may name only immutable and mutable properties. */
export function checkCreate(rules: SetPropertyRules, obj: JsonObject): void {
  const bad = createViolations(rules, obj);
  if (bad.length > 0) refuse(bad);
}

/** Reads the current object (only the named properties are needed); undefined when it does not exist. */
export type CurrentObject = (id: string, properties: string[]) => Promise<Record<string, Json> | undefined>;

/**
 * Checks a PatchObject and returns it without the server-set and immutable entries that repeat the
 * current value (clients may pass whole objects back), so update callbacks see only real changes.
 */
export async function checkUpdate(rules: SetPropertyRules, id: string, patch: JsonObject, current: CurrentObject | undefined): Promise<JsonObject> {
  const { kept, bad } = await updateViolations(rules, id, patch, current);
  if (bad.length > 0) refuse(bad);
  return kept;
}

/**
 * RFC 8620 §5.3: a patch may carry a server-set or immutable property only with its current value.
 * Returns the properties it may not set (changed fixed ones, unknown ones) and the patch without
 * any fixed entry (those that repeat the current value, and the refused ones).
 */
export async function updateViolations(
  rules: SetPropertyRules,
  id: string,
  patch: JsonObject,
  current: CurrentObject | undefined,
): Promise<{ kept: JsonObject; bad: string[] }> {
  const bad: string[] = [];
  const fixed: string[] = [];
  for (const key of Object.keys(patch)) {
    const kind = kindOf(rules, patchProperty(key));
    if (kind === 'unknown') bad.push(patchProperty(key));
    else if (kind !== 'mutable') fixed.push(key);
  }
  if (fixed.length === 0 && bad.length === 0) return { kept: patch, bad };
  const now = fixed.length > 0 && current !== undefined ? await current(id, [...new Set(fixed.map(patchProperty))]) : undefined;
  if (fixed.length > 0 && current !== undefined && now === undefined) throw setError('notFound');
  for (const key of fixed) {
    if (now === undefined || !sameJson(valueAt(now, key), patch[key])) bad.push(patchProperty(key));
  }
  // Sets, not arrays: a hostile patch may hold many thousands of keys.
  const fixedKeys = new Set(fixed);
  const refused = new Set(bad);
  const kept: JsonObject = {};
  for (const [key, value] of Object.entries(patch)) if (!fixedKeys.has(key) && !refused.has(patchProperty(key))) kept[key] = value;
  return { kept, bad: [...refused] };
}
