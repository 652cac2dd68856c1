// The arguments of every method this server offers, typed as RFC 8620 §5 (the standard /get,
// /changes, /set, /copy, /query, /queryChanges) and RFC 8621 (the mail extras) define them. The
// dispatcher checks a call against its method's schema before the handler runs; a method without a
// schema cannot be registered (withArguments).
import type { ArgumentSchema, ArgumentSpec, ArgumentType } from '../core/schema.js';
import { ANY_ARGUMENTS } from '../core/schema.js';
import type { MethodDefinition } from '../core/types.js';

const req = (type: ArgumentType): ArgumentSpec => ({ type, required: true });
/** Optional arguments also take null, meaning their default (RFC 8620 writes them `T|null`). */
const opt = (type: ArgumentType): ArgumentSpec => ({ type, nullable: true });

const ACCOUNT = { accountId: req('Id') };

/** RFC 8620 §5.1 */
const GET: ArgumentSchema = { ...ACCOUNT, ids: opt('Id[]'), properties: opt('String[]') };
/** RFC 8620 §5.2 */
const CHANGES: ArgumentSchema = { ...ACCOUNT, sinceState: req('String'), maxChanges: opt('PositiveInt') };
/** RFC 8620 §5.3 */
const SET: ArgumentSchema = { ...ACCOUNT, ifInState: opt('String'), create: opt('object'), update: opt('object'), destroy: opt('Id[]') };
/** RFC 8620 §5.4 */
const COPY: ArgumentSchema = {
  fromAccountId: req('Id'),
  ifFromInState: opt('String'),
  ...ACCOUNT,
  ifInState: opt('String'),
  create: req('object'),
  onSuccessDestroyOriginal: opt('Boolean'),
  destroyFromIfInState: opt('String'),
};
/** RFC 8620 §5.5 (position and anchorOffset may be negative: offsets from the end / the anchor). */
const QUERY: ArgumentSchema = {
  ...ACCOUNT,
  filter: opt('object'),
  sort: opt('object[]'),
  position: opt('Int'),
  anchor: opt('Id'),
  anchorOffset: opt('Int'),
  limit: opt('UnsignedInt'),
  calculateTotal: opt('Boolean'),
};
/** RFC 8620 §5.6 */
const QUERY_CHANGES: ArgumentSchema = {
  ...ACCOUNT,
  filter: opt('object'),
  sort: opt('object[]'),
  sinceQueryState: req('String'),
  maxChanges: opt('PositiveInt'),
  upToId: opt('Id'),
  calculateTotal: opt('Boolean'),
};
/** RFC 8621 §4.2 and §4.9: how bodies are shown. */
const BODY_VALUES: ArgumentSchema = {
  bodyProperties: opt('String[]'),
  fetchTextBodyValues: opt('Boolean'),
  fetchHTMLBodyValues: opt('Boolean'),
  fetchAllBodyValues: opt('Boolean'),
  maxBodyValueBytes: opt('UnsignedInt'),
};

export const METHOD_ARGUMENTS: Readonly<Record<string, ArgumentSchema>> = {
  'Core/echo': ANY_ARGUMENTS,
  'Mailbox/get': GET,
  'Mailbox/changes': CHANGES,
  'Mailbox/query': { ...QUERY, sortAsTree: opt('Boolean'), filterAsTree: opt('Boolean') },
  'Mailbox/queryChanges': QUERY_CHANGES,
  'Mailbox/set': { ...SET, onDestroyRemoveEmails: opt('Boolean') },
  'Thread/get': GET,
  'Thread/changes': CHANGES,
  'Email/get': { ...GET, ...BODY_VALUES },
  'Email/changes': CHANGES,
  'Email/query': { ...QUERY, collapseThreads: opt('Boolean') },
  'Email/queryChanges': { ...QUERY_CHANGES, collapseThreads: opt('Boolean') },
  'Email/set': SET,
  'Email/copy': COPY,
  'Email/import': { ...ACCOUNT, ifInState: opt('String'), emails: req('object') },
  'Email/parse': { ...ACCOUNT, blobIds: req('Id[]'), properties: opt('String[]'), ...BODY_VALUES },
  'SearchSnippet/get': { ...ACCOUNT, filter: opt('object'), emailIds: req('Id[]') },
  'Identity/get': GET,
  'Identity/changes': CHANGES,
  'Identity/set': SET,
  'EmailSubmission/get': GET,
  'EmailSubmission/changes': CHANGES,
  'EmailSubmission/query': QUERY,
  'EmailSubmission/queryChanges': QUERY_CHANGES,
  'EmailSubmission/set': { ...SET, onSuccessUpdateEmail: opt('object'), onSuccessDestroyEmail: opt('Id[]') },
  'VacationResponse/get': GET,
  'VacationResponse/set': SET,
  'Quota/get': GET,
  'Quota/changes': CHANGES,
  'Quota/query': QUERY,
  'Quota/queryChanges': QUERY_CHANGES,
  /** RFC 8620 §7.2.1–7.2.2: no accountId, no ifInState. */
  'PushSubscription/get': { ids: opt('Id[]'), properties: opt('String[]') },
  'PushSubscription/set': { create: opt('object'), update: opt('object'), destroy: opt('Id[]') },
  /** RFC 9661 §2.3–2.6 */
  'SieveScript/get': GET,
  'SieveScript/changes': CHANGES,
  'SieveScript/set': { ...SET, onSuccessActivateScript: opt('Id'), onSuccessDeactivateScript: opt('Boolean') },
  'SieveScript/query': QUERY,
  'SieveScript/validate': { ...ACCOUNT, blobId: req('Id') },
  'AppPassword/get': GET,
  'AppPassword/set': SET,
  /** RFC 9670 §3 */
  'Principal/get': GET,
  'Principal/changes': CHANGES,
  'Principal/query': QUERY,
  'Principal/queryChanges': QUERY_CHANGES,
  /** RFC 9670 §5 */
  'ShareNotification/get': GET,
  'ShareNotification/changes': CHANGES,
  'ShareNotification/query': QUERY,
  'ShareNotification/queryChanges': QUERY_CHANGES,
  'ShareNotification/set': SET,
  /** RFC 8620 §6.3 */
  'Blob/copy': { fromAccountId: req('Id'), ...ACCOUNT, blobIds: req('Id[]') },
  /** RFC 9404 §4.1–4.3 */
  'Blob/upload': { ...ACCOUNT, create: opt('object') },
  'Blob/get': { ...GET, offset: opt('UnsignedInt'), length: opt('UnsignedInt') },
  'Blob/lookup': { ...ACCOUNT, typeNames: req('String[]'), ids: req('Id[]') },
};

/** The definition with its argument schema; a method missing from METHOD_ARGUMENTS is a programming error. */
export function withArguments([name, definition]: [string, MethodDefinition]): [string, MethodDefinition] {
  const schema = METHOD_ARGUMENTS[name];
  if (schema === undefined) throw new Error(`JMAP method ${name} has no argument schema in METHOD_ARGUMENTS`);
  return [name, { ...definition, arguments: schema }];
}
