// JMAP requests end to end without HTTP: the request parser (src/jmap/core/parse.ts), the
// dispatcher with its argument schemas (src/jmap/core/dispatch.ts, schema.ts, methods/schemas.ts),
// result references and every mail method, on a real SQLite store holding a small account. The input
// is a request body as a client POSTs it.
//
// Invariants:
//  - a body is either a request or refused as a whole with a request-level problem (notJSON,
//    notRequest, limit, unknownCapability): nothing else may escape;
//  - no method ends in serverFail (an exception inside a handler), and every error is an RFC type;
//  - validation holds: a handler never runs on arguments its schema refuses, and such a call is
//    answered invalidArguments (or unknownMethod when the method is not offered);
//  - the response is JSON data: no NaN, Infinity, undefined in a list, Date, Map or other object.
import { jmapAccountId } from '../../src/jmap/account-id.js';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JmapApp } from '../../src/jmap/app.js';
import { DEFAULT_LIMITS } from '../../src/jmap/capabilities.js';
import { parseJsonBody, toJmapRequest } from '../../src/jmap/core/parse.js';
import { argumentProblem } from '../../src/jmap/core/schema.js';
import { METHOD_ARGUMENTS } from '../../src/jmap/methods/schemas.js';
import { RequestProblem } from '../../src/jmap/errors.js';
import type { JmapRequest, JmapResponse, JsonObject } from '../../src/jmap/core/types.js';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { MailStore } from '../../src/store/types.js';
import { SpoolDir } from '../../src/store/index.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import type { Principal } from '../../src/auth/types.js';
import { InvariantViolation, check, show } from '../support/invariant.js';

/** The seeds address this account (the RFC examples' ids were rewritten to it). */
const USER = 'fuzz@example.org';
const PRINCIPAL: Principal = { user: USER, mechanism: 'BASIC' };
/** The JMAP account id of USER as the session names it (the seeds use it). */
const ACCOUNT = jmapAccountId(USER);
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];
/** A fresh copy of the account every so many requests, so /set calls cannot grow it without end. */
const REQUESTS_PER_STORE = 1000;

const METHOD_ERRORS = new Set([
  'unknownMethod', 'invalidArguments', 'invalidResultReference', 'forbidden', 'accountNotFound',
  'accountNotSupportedByMethod', 'accountReadOnly', 'requestTooLarge', 'stateMismatch', 'cannotCalculateChanges',
  'anchorNotFound', 'unsupportedSort', 'unsupportedFilter', 'tooManyChanges', 'fromAccountNotFound',
  'fromAccountNotSupportedByMethod',
]);
const SET_ERRORS = new Set([
  'forbidden', 'overQuota', 'tooLarge', 'rateLimit', 'notFound', 'invalidPatch', 'willDestroy', 'invalidProperties',
  'singleton', 'mailboxHasChild', 'mailboxHasEmail', 'blobNotFound', 'tooManyKeywords', 'tooManyMailboxes',
  'invalidEmail', 'tooManyRecipients', 'noRecipients', 'invalidRecipients', 'forbiddenMailFrom', 'forbiddenFrom',
  'forbiddenToSend', 'cannotUnsend', 'alreadyExists', 'stateMismatch',
]);

/** The last error a method logged: what a serverFail hides. */
let lastLoggedError = '';
const logger = createLogger('error', {
  write(line: string) {
    lastLoggedError = line;
  },
});

interface Live {
  store: MailStore;
  bus: MemoryEventBus;
  app: JmapApp;
  dir: string;
}

const root = mkdtempSync(join(tmpdir(), 'tessera-fuzz-jmap-'));
const template = join(root, 'template');
let generation = 0;

async function open(dir: string): Promise<Live> {
  const bus = new MemoryEventBus(silentLogger());
  const store = await openSqliteStore({ dataDir: dir, events: bus, logger: silentLogger() });
  const spool = new SpoolDir(join(dir, 'spool'));
  await spool.prepare();
  const app = new JmapApp({ store, events: bus, logger, limits: DEFAULT_LIMITS, hostname: 'tessera.fuzz', spool });
  return { store, bus, app, dir };
}

async function closeLive(live: Live): Promise<void> {
  await live.store.close();
  await live.bus.close();
}

/** The account every copy starts from: the default mailboxes and the MIME seed messages. */
async function buildTemplate(): Promise<void> {
  const live = await open(template);
  const dir = join(import.meta.dirname, '..', 'corpus', 'mime');
  const emails: Record<string, JsonObject> = {};
  for (const [i, name] of readdirSync(dir).sort().entries()) {
    const blob = await live.app.upload(PRINCIPAL, ACCOUNT, 'message/rfc822', readFileSync(join(dir, name)));
    emails[`k${i}`] = {
      blobId: blob.blobId,
      mailboxIds: { [i % 3 === 0 ? 'm6' : 'm1']: true },
      keywords: i % 2 ? { $seen: true } : { $flagged: true, custom: true },
      receivedAt: `202${i % 5}-0${(i % 9) + 1}-1${i % 10}T10:00:00Z`,
    };
  }
  const r = await live.app.api({ using: USING, methodCalls: [['Email/import', { accountId: ACCOUNT, emails }, '0']] }, PRINCIPAL);
  const res = r.methodResponses[0]![1] as { created?: Record<string, unknown> | null; notCreated?: Record<string, { type?: string }> | null };
  // Seeds that are not RFC 5322 messages (no header fields) are refused with invalidEmail (RFC 8621
  // §4.8); every other seed must import.
  const refused = Object.entries(res.notCreated ?? {}).filter(([, e]) => e.type !== 'invalidEmail');
  if (refused.length > 0 || Object.keys(res.created ?? {}).length === 0) throw new Error(`template import failed: ${JSON.stringify(r).slice(0, 500)}`);
  await closeLive(live);
}

await buildTemplate();
let live = await fresh();
let requests = 0;

async function fresh(): Promise<Live> {
  const dir = join(root, `live-${++generation}`);
  cpSync(template, dir, { recursive: true });
  return open(dir);
}

/** Plain JSON only: what JSON.stringify would silently change or drop is a bug in the response. */
function checkJson(value: unknown, path: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    check(Number.isFinite(value), () => `${path} is ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      check(v !== undefined, () => `${path}[${i}] is undefined`);
      checkJson(v, `${path}[${i}]`);
    });
    return;
  }
  check(typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype, () => `${path} is not plain JSON: ${show(value)}`);
  for (const [k, v] of Object.entries(value as object)) if (v !== undefined) checkJson(v, `${path}.${k}`);
}

function checkSetErrors(args: JsonObject, what: string): void {
  for (const key of ['notCreated', 'notUpdated', 'notDestroyed']) {
    const errors = args[key];
    if (errors === undefined || errors === null) continue;
    for (const [id, e] of Object.entries(errors as Record<string, { type?: unknown }>)) {
      check(SET_ERRORS.has(String(e.type)), () => `${what} ${key}[${id}] has SetError type ${show(e.type)}`);
    }
  }
}

function checkResponse(request: JmapRequest, response: JmapResponse): void {
  checkJson(response, 'response');
  check(typeof response.sessionState === 'string', 'no sessionState');
  const ids = request.methodCalls.map((c) => c[2]);
  for (const [name, args, callId] of response.methodResponses) {
    check(ids.includes(callId), () => `response for unknown call id ${show(callId)}`);
    const what = `${name} (call ${show(callId)})`;
    if (name === 'error') {
      const type = String(args.type);
      if (type === 'serverFail') throw new InvariantViolation(`${what} ended in serverFail: ${lastLoggedError}`);
      check(METHOD_ERRORS.has(type), () => `${what}: error type ${show(type)}`);
    } else checkSetErrors(args, what);
  }
  // Validation: a call whose arguments its schema refuses never reaches the handler.
  for (const [name, args, callId] of request.methodCalls) {
    const schema = METHOD_ARGUMENTS[name];
    if (!schema || ids.filter((id) => id === callId).length !== 1 || Object.keys(args).some((k) => k.startsWith('#'))) continue;
    const problem = argumentProblem(args, schema);
    if (problem === undefined) continue;
    const answers = response.methodResponses.filter((r) => r[2] === callId);
    check(
      answers.length === 1 && answers[0]![0] === 'error' && ['invalidArguments', 'unknownMethod'].includes(String(answers[0]![1].type)),
      () => `${name} ran on arguments its schema refuses (${problem}): ${show(answers)}`,
    );
  }
}

export async function fuzz(data: Buffer): Promise<void> {
  if (++requests % REQUESTS_PER_STORE === 0) {
    const old = live;
    live = await fresh();
    await closeLive(old);
    rmSync(old.dir, { recursive: true, force: true });
  }
  let request: JmapRequest;
  try {
    request = toJmapRequest(parseJsonBody(data, DEFAULT_LIMITS.maxJsonDepth));
  } catch (error) {
    if (!(error instanceof RequestProblem)) throw error;
    check(['notJSON', 'notRequest', 'limit'].includes(error.problemType) && error.status === 400, () => `request refused as ${error.problemType}`);
    return;
  }
  lastLoggedError = '';
  let response: JmapResponse;
  try {
    response = await live.app.api(request, PRINCIPAL);
  } catch (error) {
    if (!(error instanceof RequestProblem)) throw error;
    check(['unknownCapability', 'limit'].includes(error.problemType), () => `request refused as ${error.problemType} after parsing`);
    return;
  }
  if (process.env.TESSERA_FUZZ_DEBUG) console.log(JSON.stringify(response).slice(0, 600));
  checkResponse(request, response);
}

export async function close(): Promise<void> {
  await closeLive(live);
  rmSync(root, { recursive: true, force: true });
}
