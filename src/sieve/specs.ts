// What each command and test accepts (RFC 5228 and the extensions of ./extensions.ts): the capability
// it needs, its tagged arguments, its positional arguments, whether it takes tests and a block. The
// validator checks scripts against this table, so a new command is one entry here plus its executor.

export type ArgType = 'string' | 'string-list' | 'number';

export interface TagSpec {
  /** Capability the tag needs besides its command's. */
  capability?: string;
  /** The argument following the tag, if it takes one. */
  arg?: ArgType;
  /** Tags of one group exclude each other (one match type, one address part…). */
  group?: string;
}

export interface Spec {
  /** Capability the command or test needs (none for the RFC 5228 core). */
  capability?: string;
  tags: Record<string, TagSpec>;
  /** Positional arguments, in order. */
  args: ArgType[];
  /** An optional positional argument before `args` (imap4flags' variable name). */
  leadingOptional?: ArgType;
  /** Optional positional arguments after `args` (deleteheader's value patterns). */
  trailingOptional?: ArgType;
  tests: 'none' | 'one' | 'list';
  /** Commands only: whether a `{ }` block follows instead of `;`. */
  block?: boolean;
  /** A tag group of which one member must be present (size's :over/:under). */
  requiredGroup?: string;
}

const COMPARATOR: Record<string, TagSpec> = { comparator: { arg: 'string', group: 'comparator' } };
const MATCH: Record<string, TagSpec> = {
  is: { group: 'match' },
  contains: { group: 'match' },
  matches: { group: 'match' },
  regex: { group: 'match', capability: 'regex' },
  value: { group: 'match', capability: 'relational', arg: 'string' },
  count: { group: 'match', capability: 'relational', arg: 'string' },
};
const ADDRESS_PART: Record<string, TagSpec> = {
  localpart: { group: 'address-part' },
  domain: { group: 'address-part' },
  all: { group: 'address-part' },
  user: { group: 'address-part', capability: 'subaddress' },
  detail: { group: 'address-part', capability: 'subaddress' },
};
const INDEX: Record<string, TagSpec> = {
  index: { arg: 'number', capability: 'index' },
  last: { capability: 'index' },
};
const ZONE: Record<string, TagSpec> = {
  zone: { arg: 'string', group: 'zone' },
  originalzone: { group: 'zone' },
};

export const COMMANDS: Record<string, Spec> = {
  require: { tags: {}, args: ['string-list'], tests: 'none' },
  if: { tags: {}, args: [], tests: 'one', block: true },
  elsif: { tags: {}, args: [], tests: 'one', block: true },
  else: { tags: {}, args: [], tests: 'none', block: true },
  stop: { tags: {}, args: [], tests: 'none' },
  keep: { tags: { flags: { arg: 'string-list', capability: 'imap4flags' } }, args: [], tests: 'none' },
  discard: { tags: {}, args: [], tests: 'none' },
  redirect: { tags: { copy: { capability: 'copy' } }, args: ['string'], tests: 'none' },
  fileinto: {
    capability: 'fileinto',
    tags: {
      copy: { capability: 'copy' },
      flags: { arg: 'string-list', capability: 'imap4flags' },
      create: { capability: 'mailbox' },
    },
    args: ['string'],
    tests: 'none',
  },
  reject: { capability: 'reject', tags: {}, args: ['string'], tests: 'none' },
  ereject: { capability: 'ereject', tags: {}, args: ['string'], tests: 'none' },
  vacation: {
    capability: 'vacation',
    tags: {
      days: { arg: 'number', group: 'period' },
      seconds: { arg: 'number', group: 'period', capability: 'vacation-seconds' },
      subject: { arg: 'string' },
      from: { arg: 'string' },
      addresses: { arg: 'string-list' },
      mime: {},
      handle: { arg: 'string' },
    },
    args: ['string'],
    tests: 'none',
  },
  setflag: { capability: 'imap4flags', tags: {}, leadingOptional: 'string', args: ['string-list'], tests: 'none' },
  addflag: { capability: 'imap4flags', tags: {}, leadingOptional: 'string', args: ['string-list'], tests: 'none' },
  removeflag: { capability: 'imap4flags', tags: {}, leadingOptional: 'string', args: ['string-list'], tests: 'none' },
  set: {
    capability: 'variables',
    tags: {
      lower: { group: 'case' },
      upper: { group: 'case' },
      lowerfirst: { group: 'first' },
      upperfirst: { group: 'first' },
      quotewildcard: {},
      length: {},
    },
    args: ['string', 'string'],
    tests: 'none',
  },
  include: {
    capability: 'include',
    tags: { personal: { group: 'location' }, global: { group: 'location' }, once: {}, optional: {} },
    args: ['string'],
    tests: 'none',
  },
  return: { capability: 'include', tags: {}, args: [], tests: 'none' },
  global: { capability: 'include', tags: {}, args: ['string-list'], tests: 'none' },
  addheader: { capability: 'editheader', tags: { last: {} }, args: ['string', 'string'], tests: 'none' },
  deleteheader: {
    capability: 'editheader',
    tags: { ...COMPARATOR, ...MATCH, index: { arg: 'number' }, last: {} },
    args: ['string'],
    trailingOptional: 'string-list',
    tests: 'none',
  },
};

export const TESTS: Record<string, Spec> = {
  address: { tags: { ...COMPARATOR, ...MATCH, ...ADDRESS_PART, ...INDEX }, args: ['string-list', 'string-list'], tests: 'none' },
  allof: { tags: {}, args: [], tests: 'list' },
  anyof: { tags: {}, args: [], tests: 'list' },
  envelope: { capability: 'envelope', tags: { ...COMPARATOR, ...MATCH, ...ADDRESS_PART }, args: ['string-list', 'string-list'], tests: 'none' },
  exists: { tags: {}, args: ['string-list'], tests: 'none' },
  false: { tags: {}, args: [], tests: 'none' },
  true: { tags: {}, args: [], tests: 'none' },
  header: { tags: { ...COMPARATOR, ...MATCH, ...INDEX }, args: ['string-list', 'string-list'], tests: 'none' },
  not: { tags: {}, args: [], tests: 'one' },
  size: { tags: { over: { group: 'size' }, under: { group: 'size' } }, args: ['number'], tests: 'none', requiredGroup: 'size' },
  body: {
    capability: 'body',
    tags: { ...COMPARATOR, ...MATCH, raw: { group: 'transform' }, content: { group: 'transform', arg: 'string-list' }, text: { group: 'transform' } },
    args: ['string-list'],
    tests: 'none',
  },
  date: { capability: 'date', tags: { ...COMPARATOR, ...MATCH, ...INDEX, ...ZONE }, args: ['string', 'string', 'string-list'], tests: 'none' },
  currentdate: { capability: 'date', tags: { ...COMPARATOR, ...MATCH, zone: { arg: 'string' } }, args: ['string', 'string-list'], tests: 'none' },
  hasflag: { capability: 'imap4flags', tags: { ...COMPARATOR, ...MATCH }, leadingOptional: 'string-list', args: ['string-list'], tests: 'none' },
  string: { capability: 'variables', tags: { ...COMPARATOR, ...MATCH }, args: ['string-list', 'string-list'], tests: 'none' },
  mailboxexists: { capability: 'mailbox', tags: {}, args: ['string-list'], tests: 'none' },
  duplicate: {
    capability: 'duplicate',
    tags: {
      handle: { arg: 'string' },
      header: { arg: 'string', group: 'unique' },
      uniqueid: { arg: 'string', group: 'unique' },
      seconds: { arg: 'number' },
      last: {},
    },
    args: [],
    tests: 'none',
  },
};
