// Email/get and Email/changes (RFC 8621 §4.2–4.3), Thread/get and Thread/changes (§3).
import { CAP_MAIL } from '../capabilities.js';
import { MethodError } from '../errors.js';
import type { JsonObject, MethodContext, MethodDefinition, MethodOutput } from '../core/types.js';
import { readAccount, invalid, optBool, optInt, readIds, readProperties } from './args.js';
import { storeChanges } from './changes.js';
import { defineMethod, type MailHandler } from './define.js';
import type { MailMethodDeps } from './deps.js';
import { BODY_PART_PROPERTIES, DEFAULT_BODY_PROPERTIES } from '../mail/body-structure.js';
import { formAllowed, parseHeaderProperty } from '../mail/header-forms.js';
import { DEFAULT_EMAIL_PROPERTIES, emailView, isEmailProperty, needsParsed } from '../mail/email-view.js';
import { needsBodyValues, readBodyValues, storedPartReader, type BodyValueOptions } from '../mail/body-values.js';

function checkHeaderForms(properties: readonly string[]): void {
  for (const p of properties) {
    const hp = parseHeaderProperty(p);
    if (hp && !formAllowed(hp.name, hp.form)) throw invalid(`header form as${hp.form} is not allowed on ${hp.name}`);
  }
}

async function get(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  let ids = readIds(args, ctx, deps.limits.maxObjectsInGet);
  const properties = readProperties(args, 'properties', isEmailProperty, DEFAULT_EMAIL_PROPERTIES);
  const bodyProperties = readProperties(
    args,
    'bodyProperties',
    (p) => BODY_PART_PROPERTIES.has(p) || parseHeaderProperty(p) !== undefined,
    DEFAULT_BODY_PROPERTIES,
  );
  checkHeaderForms(properties);
  checkHeaderForms(bodyProperties);
  const opts: BodyValueOptions = {
    fetchTextBodyValues: optBool(args, 'fetchTextBodyValues', false),
    fetchHTMLBodyValues: optBool(args, 'fetchHTMLBodyValues', false),
    fetchAllBodyValues: optBool(args, 'fetchAllBodyValues', false),
    maxBodyValueBytes: optInt(args, 'maxBodyValueBytes', { min: 0 }) ?? 0,
  };
  const state = (await deps.store.getStates(account.name)).Email;
  if (ids === null) {
    // "All emails" is bounded by maxObjectsInGet like any explicit list.
    const all = await deps.store.queryEmails(account.name, { filter: { kind: 'all' }, limit: deps.limits.maxObjectsInGet + 1 });
    if (all.total > deps.limits.maxObjectsInGet) throw new MethodError('requestTooLarge', 'too many emails; pass ids');
    ids = all.ids;
  }
  const unique = [...new Set(ids)];
  const metas = await deps.store.getEmails(account.name, unique, { parsed: needsParsed(properties) });
  const byId = new Map(metas.map((m) => [m.id, m]));
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  const withBytes = needsBodyValues(properties, opts);
  for (const id of unique) {
    const meta = byId.get(id);
    if (meta === undefined) {
      notFound.push(id);
      continue;
    }
    const values = withBytes && meta.parsed ? await readBodyValues(meta.parsed, opts, storedPartReader(deps.store, account.name, id)) : null;
    list.push(emailView(meta, properties, bodyProperties, values));
  }
  return [['Email/get', { accountId: account.id, state, list, notFound }]];
}

/**
 * RFC 8620 §5.1: ids null is every thread, unless there are more than maxObjectsInGet
 * (requestTooLarge). One email per thread (collapseThreads) names each thread.
 */
async function allThreadIds(deps: MailMethodDeps, account: string): Promise<string[]> {
  const max = deps.limits.maxObjectsInGet;
  const one = await deps.store.queryEmails(account, { filter: { kind: 'all' }, collapseThreads: true, limit: max + 1 });
  if (one.ids.length > max) throw new MethodError('requestTooLarge', `more than ${max} threads; pass ids`);
  return (await deps.store.getEmails(account, one.ids)).map((e) => e.threadId);
}

async function threadGet(deps: MailMethodDeps, args: JsonObject, ctx: MethodContext): Promise<MethodOutput> {
  const account = readAccount(args, ctx);
  const state = (await deps.store.getStates(account.name)).Thread;
  const ids = readIds(args, ctx, deps.limits.maxObjectsInGet) ?? (await allThreadIds(deps, account.name));
  const threads = await deps.store.getThreads(account.name, [...new Set(ids)]);
  const byId = new Map(threads.map((t) => [t.id, t]));
  const list: JsonObject[] = [];
  const notFound: string[] = [];
  for (const id of new Set(ids)) {
    const t = byId.get(id);
    if (t === undefined) notFound.push(id);
    else list.push({ id: t.id, emailIds: t.emailIds });
  }
  return [['Thread/get', { accountId: account.id, state, list, notFound }]];
}

export function emailReadMethods(deps: MailMethodDeps): Array<[string, MethodDefinition]> {
  const def = (h: MailHandler): MethodDefinition => defineMethod(CAP_MAIL, deps, h);
  return [
    ['Email/get', def(get)],
    ['Email/changes', def((d, a, c) => storeChanges(d, 'Email', a, c))],
    ['Thread/get', def(threadGet)],
    ['Thread/changes', def((d, a, c) => storeChanges(d, 'Thread', a, c))],
  ];
}
