// The one create/update/destroy loop behind every Foo/set (RFC 8620 §5.3). A type supplies its
// property rules and what creating, updating and destroying one object (or a batch, where the store
// writes a batch) means; the engine checks ifInState, resolves "#creationId" ids, records creation
// ids for later back-references, collects SetErrors per object and shapes the response.
import { SetFailure, setError, type SetError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext } from '../core/types.js';
import { resolveId } from './args.js';
import { createViolations, PropertyErrors, updateViolations, type CurrentObject, type SetPropertyRules } from './set-properties.js';
import { checkIfInState, type SetRequest } from './set-request.js';
import type { MailStore } from '../../store/types.js';

/** What one store batch did: the ids it changed and the ones it refused. */
export interface BatchResult {
  done: string[];
  failed: Array<{ id: string; error: SetError }>;
}

interface StepResult {
  /** Id → properties the server changed besides those asked (null: none). */
  done: Array<[string, JsonObject | null]>;
  failed: Map<string, SetError>;
}

/**
 * How updates or destroys are applied: object by object, or checked one by one then written as a
 * batch. Each item carries the invalid properties the engine found already (server-set, immutable,
 * unknown); the step adds those of its own reading and writes nothing while any is recorded.
 */
export interface SetStep<In> {
  run(items: Array<[string, In, PropertyErrors]>): Promise<StepResult>;
}

type Outcome<T> = { ok: T } | { error: SetError };

/** Runs one object's work; a SetFailure becomes that object's SetError, anything else fails the call. */
async function attempt<T>(work: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: await work() };
  } catch (err) {
    if (err instanceof SetFailure) return { error: err.error };
    throw err;
  }
}

/** Reads one item (its invalidProperties recorded with the engine's), then fails it if any property is invalid. */
async function prepareChecked<In, Prepared>(
  prepare: (id: string, value: In, errors: PropertyErrors) => Prepared | Promise<Prepared>,
  id: string,
  value: In,
  errors: PropertyErrors,
): Promise<Prepared> {
  let prepared: Prepared | undefined;
  try {
    prepared = await errors.readAsync(async () => prepare(id, value, errors));
  } catch (err) {
    // An invalid property is reported before any other refusal the reading ran into.
    errors.check();
    throw err;
  }
  errors.check();
  return prepared as Prepared;
}

/** Per-object checks (a SetFailure fails that object), then one batch call for the objects that passed. */
export function batchStep<In, Prepared>(
  prepare: (id: string, value: In, errors: PropertyErrors) => Prepared | Promise<Prepared>,
  commit: (items: Array<[string, Prepared]>) => Promise<BatchResult>,
): SetStep<In> {
  return {
    async run(items) {
      const failed = new Map<string, SetError>();
      const ready: Array<[string, Prepared]> = [];
      for (const [id, value, errors] of items) {
        const r = await attempt(() => prepareChecked(prepare, id, value, errors));
        if ('ok' in r) ready.push([id, r.ok]);
        else failed.set(id, r.error);
      }
      if (ready.length === 0) return { done: [], failed };
      const result = await commit(ready);
      for (const f of result.failed) failed.set(f.id, f.error);
      return { done: result.done.map((id) => [id, null]), failed };
    },
  };
}

/** Each object checked (every invalid property recorded by prepare) then written on its own, in order. */
export function checkedEachStep<In, Prepared>(
  prepare: (id: string, value: In, errors: PropertyErrors) => Prepared | Promise<Prepared>,
  write: (id: string, prepared: Prepared) => Promise<JsonObject | null | void>,
): SetStep<In> {
  return {
    async run(items) {
      const done: Array<[string, JsonObject | null]> = [];
      const failed = new Map<string, SetError>();
      for (const [id, value, errors] of items) {
        const r = await attempt(async () => write(id, await prepareChecked(prepare, id, value, errors)));
        if ('ok' in r) done.push([id, r.ok ?? null]);
        else failed.set(id, r.error);
      }
      return { done, failed };
    },
  };
}

/** Each object written on its own, in order; the engine's invalid properties fail it before the work runs. */
export function eachStep<In>(work: (id: string, value: In) => Promise<JsonObject | null | void>): SetStep<In> {
  return checkedEachStep((_id, value: In) => value, work);
}

/** Creates one object in one step; returns it with at least its id and the server-set properties. */
export type CreateOne = (obj: JsonObject, creationId: string) => Promise<JsonObject>;

/**
 * Creates one object in two steps, so its SetError can name every invalid property: prepare reads
 * and checks the object, recording each bad property in errors (the engine has recorded the
 * server-set and unknown ones), and writes nothing; commit runs only when none was recorded.
 */
export interface PreparedCreate<Prepared> {
  prepare(obj: JsonObject, creationId: string, errors: PropertyErrors): Prepared | Promise<Prepared>;
  /** Returns the object with at least its id and the server-set properties. */
  commit(prepared: Prepared, creationId: string): Promise<JsonObject>;
}

/** One create step of either shape, run with the engine's rule violations already recorded. */
async function createOne(create: CreateOne | PreparedCreate<unknown>, raw: JsonObject, cid: string, errors: PropertyErrors): Promise<JsonObject> {
  if (typeof create === 'function') {
    errors.check();
    return create(raw, cid);
  }
  const prepared = await prepareChecked((_id, value: JsonObject, e) => create.prepare(value, cid, e), cid, raw, errors);
  return create.commit(prepared, cid);
}

export interface SetType {
  rules: SetPropertyRules;
  /** The state before this call (compared with ifInState). */
  oldState: string;
  create: CreateOne | PreparedCreate<unknown>;
  /** Receives PatchObjects already checked against the rules (see checkUpdate). */
  update: SetStep<JsonObject>;
  destroy: SetStep<null>;
  /** Current values, for updates that repeat server-set or immutable properties. */
  current?: CurrentObject;
  /** After every change: commits what the type keeps whole and returns the new state. */
  newState(changed: boolean): Promise<string>;
}

export interface CreateResult {
  created: JsonObject;
  notCreated: Record<string, SetError>;
}

/**
 * Creates each object in order (so a later one may name an earlier "#creationId") and records each
 * new id for back-references. Shared by Foo/set and the creation-only Email/import.
 */
export async function createAll(
  entries: JsonObject,
  rules: SetPropertyRules,
  ctx: MethodContext,
  create: CreateOne | PreparedCreate<unknown>,
): Promise<CreateResult> {
  const created: JsonObject = {};
  const notCreated: Record<string, SetError> = {};
  for (const [cid, raw] of Object.entries(entries)) {
    const r = await attempt(async () => {
      if (!isJsonObject(raw)) throw setError('invalidProperties', 'not an object');
      const errors = new PropertyErrors();
      errors.add(createViolations(rules, raw));
      return createOne(create, raw, cid, errors);
    });
    if ('error' in r) {
      notCreated[cid] = r.error;
      continue;
    }
    const id = r.ok.id;
    if (typeof id === 'string') ctx.createdIds.set(cid, id);
    created[cid] = r.ok;
  }
  return { created, notCreated };
}

/** RFC 8620 §5.3: "There MUST NOT be two patches in the PatchObject where the pointer of one is the prefix of the pointer of the other". */
function checkPointers(patch: JsonObject): void {
  // Sorted as token sequences, the pointers under a prefix follow it directly, so comparing
  // neighbours finds every clash in O(n log n) token comparisons whatever the patch holds.
  const paths = Object.keys(patch).map((k) => k.split('/'));
  paths.sort(compareTokens);
  for (let i = 0; i + 1 < paths.length; i++) {
    const [a, b] = [paths[i]!, paths[i + 1]!];
    if (a.length < b.length && a.every((t, j) => t === b[j])) throw setError('invalidPatch', `"${a.join('/')}" is patched both whole and in part`);
  }
}

function compareTokens(a: string[], b: string[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

function asId(raw: string, ctx: MethodContext): string {
  return resolveId(raw, ctx) ?? raw;
}

async function updateAll(update: JsonObject, type: SetType, ctx: MethodContext): Promise<{ updated: JsonObject; notUpdated: Record<string, SetError> }> {
  const notUpdated: Record<string, SetError> = {};
  const checked: Array<[string, JsonObject, PropertyErrors]> = [];
  for (const [raw, patch] of Object.entries(update)) {
    const id = asId(raw, ctx);
    const r = await attempt(() => {
      if (!isJsonObject(patch)) throw setError('invalidPatch', 'a PatchObject must be an object');
      checkPointers(patch);
      return updateViolations(type.rules, id, patch, type.current);
    });
    if ('ok' in r) {
      const errors = new PropertyErrors();
      errors.add(r.ok.bad);
      checked.push([id, r.ok.kept, errors]);
    } else notUpdated[id] = r.error;
  }
  const r = await type.update.run(checked);
  for (const [id, error] of r.failed) notUpdated[id] = error;
  return { updated: Object.fromEntries(r.done), notUpdated };
}

async function destroyAll(destroy: string[], type: SetType, ctx: MethodContext): Promise<{ destroyed: string[]; notDestroyed: Record<string, SetError> }> {
  if (destroy.length === 0) return { destroyed: [], notDestroyed: {} };
  const r = await type.destroy.run(destroy.map((raw) => [asId(raw, ctx), null, new PropertyErrors()]));
  return { destroyed: r.done.map(([id]) => id), notDestroyed: Object.fromEntries(r.failed) };
}

/** RFC 8620 §5.3: created/updated/destroyed and the not* maps are null when empty. */
export function orNull(value: JsonObject | Record<string, SetError> | string[]): Json {
  const empty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
  return empty ? null : (value as Json);
}

/** State for types whose changes the store logs (Mailbox, Email): read before and after the call. */
export async function storeState(store: MailStore, account: string, type: 'Mailbox' | 'Email'): Promise<Pick<SetType, 'oldState' | 'newState'>> {
  const read = async (): Promise<string> => (await store.getStates(account))[type];
  return { oldState: await read(), newState: read };
}

/** Runs a whole Foo/set and returns its response arguments. */
export async function runSet(request: SetRequest, ctx: MethodContext, type: SetType): Promise<JsonObject> {
  checkIfInState(request.ifInState, type.oldState);
  const { created, notCreated } = await createAll(request.create, type.rules, ctx, type.create);
  const { updated, notUpdated } = await updateAll(request.update, type, ctx);
  const { destroyed, notDestroyed } = await destroyAll(request.destroy, type, ctx);
  const changed = Object.keys(created).length + Object.keys(updated).length + destroyed.length > 0;
  const newState = await type.newState(changed);
  return {
    accountId: request.account.id,
    oldState: type.oldState,
    newState,
    created: orNull(created),
    updated: orNull(updated),
    destroyed: orNull(destroyed),
    notCreated: orNull(notCreated),
    notUpdated: orNull(notUpdated),
    notDestroyed: orNull(notDestroyed),
  };
}
