// SieveScript/get, /changes, /set, /query and /validate (RFC 9661) over the store's Sieve scripts,
// the same ones ManageSieve manages and delivery runs. Content travels as blobs: a client uploads the
// script and names its blobId; the script's blobId downloads it. isActive is server-set and changes
// only through /set's onSuccessActivateScript / onSuccessDeactivateScript, applied after the creates,
// updates and destroys, each script whose isActive changed being listed in `updated`.
import { CAP_SIEVE } from '../capabilities.js';
import { MethodError, SetFailure, setError, type SetError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject, type MethodContext, type MethodDefinition, type MethodOutput } from '../core/types.js';
import { compileSieve, DEFAULT_MAX_SCRIPT_SIZE } from '../../sieve/index.js';
import type { SieveScriptInfo, SieveScriptLimits } from '../../store/types.js';
import { invalid, optBool, pick, readAccount, readIds, readProperties, resolveId } from './args.js';
import { storeChanges } from './changes.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { compileFilter, compileSort, type Predicate } from './object-query.js';
import { checkedEachStep, eachStep, orNull, runSet } from './set-engine.js';
import type { PropertyErrors, SetPropertyRules } from './set-properties.js';
import { readSetRequest } from './set-request.js';
import { setFailureFrom } from './store-errors.js';
import { applyWindow, queryResponse, readLimit } from './window.js';

const PROPERTIES = ['id', 'name', 'blobId', 'isActive'];

/** RFC 9661 §1.2.1 maxSizeScriptName: the store's bound on names (RFC 5804 §1.6 rules). */
export const MAX_SCRIPT_NAME_OCTETS = 1024;
/** Without configured limits (tests, embedding): the interpreter's script bound, no count limit. */
export const DEFAULT_SIEVE_LIMITS: SieveScriptLimits = { maxScripts: 0, maxSize: DEFAULT_MAX_SCRIPT_SIZE };
/** Compiler errors listed in one invalidSieve description. */
const MAX_LISTED_ERRORS = 20;

const RULES: SetPropertyRules = {
  serverSet: ['id', 'isActive'],
  immutable: [],
  mutable: ['name', 'blobId'],
};

function toJmap(s: SieveScriptInfo): Record<string, Json> {
  return { id: s.id, name: s.name, blobId: s.blobId, isActive: s.isActive };
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', (p) => PROPERTIES.includes(p), PROPERTIES);
  const state = await deps.store.sieveScriptState(account.name);
  const scripts = await deps.store.listSieveScripts(account.name);
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? scripts.map((s) => s.id)) {
    const s = scripts.find((x) => x.id === id);
    if (s) list.push(pick(toJmap(s), [...new Set(['id', ...properties])]));
    else notFound.push(id);
  }
  return [['SieveScript/get', { accountId: account.id, state, list, notFound }]];
}

/**
 * The script text of a blob the account may read, checked as ManageSieve checks an upload: size,
 * UTF-8, then the compiler. A SetFailure names what is wrong.
 */
async function readScript(deps: MailMethodDeps, account: string, blobId: string, limits: SieveScriptLimits): Promise<string> {
  const size = await deps.store.blobSize(account, blobId);
  if (size === null) throw setError('blobNotFound', `no blob ${blobId}`, { notFound: [blobId] });
  if (limits.maxSize > 0 && size > limits.maxSize) throw setError('tooLarge', `a script has at most ${limits.maxSize} octets`);
  // Read whole to be compiled: bounded by the script size limit just checked (a script is small).
  const bytes = await deps.store.readBlob(account, blobId);
  if (bytes === null) throw setError('blobNotFound', `no blob ${blobId}`, { notFound: [blobId] });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw setError('invalidSieve', 'the script is not UTF-8');
  }
  const compiled = compileSieve(text, limits.maxSize > 0 ? { maxSize: limits.maxSize } : undefined);
  if (!compiled.ok) {
    const lines = compiled.errors.slice(0, MAX_LISTED_ERRORS).map((e) => `line ${e.line}, column ${e.column}: ${e.message}`);
    throw setError('invalidSieve', lines.join('\n'));
  }
  return text;
}

function readName(v: Json | undefined, errors: PropertyErrors): string | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v, 'utf8') > MAX_SCRIPT_NAME_OCTETS || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) {
    errors.add(['name'], `name is 1 to ${MAX_SCRIPT_NAME_OCTETS} octets without control characters`);
    return undefined;
  }
  return v;
}

function readBlobId(v: Json | undefined, errors: PropertyErrors, required: boolean): string | undefined {
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length === 0) {
    errors.add(['blobId'], 'blobId must be the id of an uploaded blob');
    return undefined;
  }
  return v;
}

/** A name for a script created with name null (RFC 9661 §2.4: the server picks one). */
function generatedName(taken: ReadonlySet<string>, creationId: string): string {
  const base = `script-${creationId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'new'}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

/** A store failure of one object: the SetError RFC 9661 names for it. */
function failure(err: unknown): never {
  throw setFailureFrom(err);
}

async function set(deps: MailMethodDeps, limits: SieveScriptLimits, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const request = readSetRequest(args, ctx, deps.limits.maxObjectsInSet);
  const account = request.account.name;
  const activateRaw = args.onSuccessActivateScript;
  if (activateRaw !== undefined && activateRaw !== null && typeof activateRaw !== 'string') throw invalid('"onSuccessActivateScript" must be an id or null');
  const deactivate = optBool(args, 'onSuccessDeactivateScript', false);
  const oldState = await deps.store.sieveScriptState(account);
  const byId = async (id: string): Promise<SieveScriptInfo | undefined> => (await deps.store.listSieveScripts(account)).find((s) => s.id === id);
  const write = { limits, origin: ctx.principal.user };

  const out = await runSet(request, ctx, {
    rules: RULES,
    oldState,
    current: async (id) => {
      const s = await byId(id);
      return s === undefined ? undefined : toJmap(s);
    },
    create: {
      prepare: async (raw, cid, errors) => {
        const name = readName(raw.name, errors);
        const blobId = readBlobId(raw.blobId, errors, true);
        if (name === undefined || blobId === undefined) return undefined;
        const taken = new Set((await deps.store.listSieveScripts(account)).map((s) => s.name));
        if (name !== null && taken.has(name)) throw setError('alreadyExists', `a script named "${name}" exists`, { properties: ['name'] });
        const text = await readScript(deps, account, blobId, limits);
        return { name: name ?? generatedName(taken, cid), text, generated: name === null };
      },
      commit: async (prepared) => {
        const p = prepared as { name: string; text: string; generated: boolean };
        const s = await deps.store.putSieveScript(account, p.name, p.text, write).catch(failure);
        return { id: s.id, blobId: s.blobId, isActive: false, ...(p.generated ? { name: s.name } : {}) };
      },
    },
    update: checkedEachStep(
      async (id, patch: JsonObject, errors) => {
        const current = await byId(id);
        if (current === undefined) throw setError('notFound');
        const name = 'name' in patch ? readName(patch.name, errors) : current.name;
        const blobId = readBlobId(patch.blobId, errors, false);
        if (name === null) errors.add(['name'], 'a script keeps a name');
        if (name === undefined || name === null) return undefined;
        const text = blobId !== undefined && blobId !== current.blobId ? await readScript(deps, account, blobId, limits) : undefined;
        return { current, name, text };
      },
      async (_id, prepared) => {
        const p = prepared as { current: SieveScriptInfo; name: string; text: string | undefined };
        let changed: JsonObject | null = null;
        if (p.name !== p.current.name) await deps.store.renameSieveScript(account, p.current.name, p.name, write).catch(failure);
        if (p.text !== undefined) {
          const s = await deps.store.putSieveScript(account, p.name, p.text, write).catch(failure);
          changed = { blobId: s.blobId };
        }
        return changed;
      },
    ),
    destroy: eachStep(async (id) => {
      const s = await byId(id);
      if (s === undefined) throw setError('notFound');
      await deps.store.deleteSieveScript(account, s.name, write).catch(failure);
    }),
    newState: async () => oldState,
  });

  // After every create, update and destroy (RFC 9661 §2.4): the activation asked for, if any.
  const activated = await activation(deps, account, ctx, activateRaw ?? null, deactivate, write.origin);
  if (activated.length > 0) {
    const updated: JsonObject = isJsonObject(out.updated) ? { ...out.updated } : {};
    for (const [id, isActive] of activated) {
      const prev = updated[id];
      updated[id] = { ...(isJsonObject(prev) ? prev : {}), isActive };
    }
    out.updated = orNull(updated);
  }
  out.newState = await deps.store.sieveScriptState(account);
  return [['SieveScript/set', out]];
}

/** Applies onSuccessActivateScript / onSuccessDeactivateScript; returns the scripts whose isActive changed. */
async function activation(
  deps: MailMethodDeps,
  account: string,
  ctx: MethodContext,
  activateRaw: string | null,
  deactivate: boolean,
  origin: string,
): Promise<Array<[string, boolean]>> {
  if (activateRaw === null && !deactivate) return [];
  const before = (await deps.store.listSieveScripts(account)).find((s) => s.isActive);
  let target: SieveScriptInfo | null = null;
  if (activateRaw !== null) {
    const id = resolveId(activateRaw, ctx);
    const found = id === undefined ? undefined : (await deps.store.listSieveScripts(account)).find((s) => s.id === id);
    // A script that was not created, or does not exist: nothing to activate.
    if (found === undefined) return [];
    target = found;
  }
  if ((before?.id ?? null) === (target?.id ?? null)) return [];
  await deps.store.setActiveSieveScript(account, target?.name ?? null, { origin });
  const changes: Array<[string, boolean]> = [];
  if (before) changes.push([before.id, false]);
  if (target) changes.push([target.id, true]);
  return changes;
}

/** RFC 9661 §2.5: name contains (case-insensitively), isActive equals. */
function condition(f: JsonObject): Predicate<SieveScriptInfo> {
  const tests: Array<Predicate<SieveScriptInfo>> = [];
  for (const [k, v] of Object.entries(f)) {
    if (k === 'name' && typeof v === 'string') tests.push((s) => s.name.toLowerCase().includes(v.toLowerCase()));
    else if (k === 'isActive' && typeof v === 'boolean') tests.push((s) => s.isActive === v);
    else throw new MethodError('unsupportedFilter', `unknown or mistyped filter property ${k}`);
  }
  return (s) => tests.every((t) => t(s));
}

const SORT: Record<string, (a: SieveScriptInfo, b: SieveScriptInfo) => number> = {
  name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  isActive: (a, b) => Number(a.isActive) - Number(b.isActive),
};

async function query(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const scripts = await deps.store.listSieveScripts(account.name);
  const state = await deps.store.sieveScriptState(account.name);
  const keep = compileFilter(args.filter, condition);
  const ids = scripts.filter(keep).sort(compileSort(args.sort, SORT, 'scripts')).map((s) => s.id);
  const limit = readLimit(args, deps.limits.maxQueryResults);
  const w = applyWindow(ids, args, limit);
  return [['SieveScript/query', queryResponse(account, args, limit, { ...w, queryState: state, canCalculateChanges: false, total: ids.length })]];
}

async function validate(deps: MailMethodDeps, limits: SieveScriptLimits, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const blobId = args.blobId as string;
  let error: SetError | null = null;
  try {
    await readScript(deps, account.name, blobId, limits);
  } catch (err) {
    if (!(err instanceof SetFailure)) throw err;
    error = err.error;
  }
  return [['SieveScript/validate', { accountId: account.id, error: error as Json }]];
}

export function sieveScriptMethods(deps: MailMethodDeps, limits: SieveScriptLimits): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_SIEVE, deps, h);
  return [
    ['SieveScript/get', def(get)],
    ['SieveScript/changes', def((d, a, c) => storeChanges(d, 'SieveScript', a, c))],
    ['SieveScript/set', def((d, a, c) => set(d, limits, a, c))],
    ['SieveScript/query', def(query)],
    ['SieveScript/validate', def((d, a, c) => validate(d, limits, a, c))],
  ];
}
