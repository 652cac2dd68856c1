// The SASL mechanisms (src/auth/sasl): PLAIN, LOGIN, OAUTHBEARER and XOAUTH2 as IMAP and SMTP run
// them. The input is an exchange as the client sends it, one line each: first `MECHANISM [initial
// response]`, then the client's answers to the server's challenges. A line (or initial response)
// written `~text` stands for the base64 of `text`, so mutations reach the payload's structure and
// not only its base64 form.
//
// Invariants:
//  - an exchange never throws; every step is a challenge in strict base64, a success, or a failure
//    with a known code, and after the last step the exchange only answers "already finished";
//  - credentials reach the checker at most once, and exactly as the client sent them: re-encoding
//    what the checker received gives back the client's line byte for byte (no lossy decoding);
//  - the decoders' accepted forms are canonical (strict base64, gs2 header, bearer token grammar).
import { createSaslExchange } from '../../src/auth/sasl/index.js';
import { decodeStrictBase64 } from '../../src/auth/sasl/base64.js';
import { parseGs2Header, parseOAuthPayload } from '../../src/auth/sasl/oauth-payload.js';
import type { AuthFailureCode, SaslStep } from '../../src/auth/types.js';
import { ScriptedChecker } from '../../test/auth/sasl-helpers.js';
import { check, checkEqual, show } from '../support/invariant.js';

const FAILURE_CODES: readonly AuthFailureCode[] = ['invalid', 'temporary', 'throttled', 'aborted', 'malformed', 'encryption-required', 'mechanism-unavailable'];
const ANSWERS = ['ok', 'invalid', 'temporary'] as const;
/** RFC 6750 §2.1 b64token, written out again here rather than imported. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function checkStep(step: SaslStep): void {
  if (step.type === 'challenge') {
    check(step.base64 === '' || decodeStrictBase64(step.base64).ok, () => `challenge is not strict base64: ${show(step.base64)}`);
  } else if (step.type === 'failure') {
    check(FAILURE_CODES.includes(step.failure.code), () => `unknown failure code ${show(step.failure.code)}`);
    check(typeof step.failure.message === 'string' && step.failure.message.length > 0, 'failure without a message');
  } else {
    check(typeof step.principal.user === 'string', 'success without a user');
  }
}

/** The decoders on their own: what they accept is canonical. */
function checkDecoders(line: string): void {
  const decoded = decodeStrictBase64(line);
  if (!decoded.ok) return;
  checkEqual(decoded.bytes.toString('base64'), line, 'strict base64 accepted a non-canonical form');
  const text = decoded.bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(decoded.bytes)) return;
  const gs2 = parseGs2Header(text);
  if (gs2.ok) {
    const escaped = gs2.authzid === undefined ? '' : `a=${gs2.authzid.replace(/=/g, '=3D').replace(/,/g, '=2C')}`;
    checkEqual(text.slice(0, gs2.length), `${text[0]},${escaped},`, 'gs2 header written back');
  }
  const parsed = parseOAuthPayload(text);
  if (!parsed.ok) return;
  const c = parsed.credentials;
  check(BEARER_TOKEN.test(c.token), () => `token ${show(c.token)} is not a b64token`);
  check(new RegExp(`(^|\\x01)auth=bearer +${c.token.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(\\x01|$)`, 'i').test(text), 'token is not the payload\'s auth=Bearer value');
  if (c.port !== undefined) check(Number.isInteger(c.port) && c.port >= 0 && c.port <= 99999, () => `port ${c.port}`);
  if (c.user !== undefined) check(c.user !== '', 'empty user');
}

async function run(mechanism: string, initial: string | undefined, lines: string[], answer: (typeof ANSWERS)[number]): Promise<void> {
  const checker = new ScriptedChecker(answer);
  const exchange = createSaslExchange(mechanism, checker, { scope: 'mail', openidConfiguration: 'https://idp.example/.well-known/openid-configuration' });
  const known = ['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2'].includes(mechanism.toUpperCase());
  check((exchange !== undefined) === known, () => `mechanism ${show(mechanism)} ${known ? 'not created' : 'created'}`);
  if (!exchange) return;
  const sent: string[] = initial === undefined ? [] : [initial];
  let step = await exchange.start(initial);
  checkStep(step);
  let ended = step.type !== 'challenge';
  let final = step;
  for (const line of lines) {
    step = await exchange.respond(line);
    checkStep(step);
    if (ended) {
      check(step.type === 'failure' && step.failure.code === 'malformed', () => `a finished exchange answered ${show(step)}`);
      continue;
    }
    sent.push(line);
    ended = step.type !== 'challenge';
    final = step;
  }
  check(checker.calls.length <= 1, () => `credentials checked ${checker.calls.length} times`);
  const call = checker.calls[0];
  if (!call) {
    check(final.type !== 'success', 'success without checking credentials');
    return;
  }
  if (answer === 'ok' && ended) check(final.type === 'success', () => `accepted credentials ended in ${show(final)}`);
  const mech = mechanism.toUpperCase();
  checkEqual(call.mechanism, mech, 'mechanism given to the checker');
  if (mech === 'PLAIN') {
    const wire = b64(`${call.authzid ?? ''}\0${call.user}\0${call.secret}`);
    check(sent.includes(wire), () => `PLAIN credentials ${show(call)} are not what the client sent (${show(sent)})`);
  } else if (mech === 'LOGIN') {
    const user = sent.indexOf(b64(call.user ?? ''));
    const password = sent.lastIndexOf(b64(call.secret));
    check(user >= 0 && password > user, () => `LOGIN credentials ${show(call)} are not what the client sent (${show(sent)})`);
  } else {
    check(BEARER_TOKEN.test(call.secret), () => `token ${show(call.secret)} is not a b64token`);
    const source = sent
      .map((l) => decodeStrictBase64(l))
      .map((d) => (d.ok ? parseOAuthPayload(d.bytes.toString('utf8')) : undefined))
      .find((p) => p?.ok && p.credentials.token === call.secret && p.credentials.user === call.user);
    check(source !== undefined, () => `token credentials ${show(call)} are not what the client sent (${show(sent)})`);
  }
}

/** `~text` → base64 of text (with `\0` and `\1` escapes for the separators); other lines as they are. */
function wire(line: string): string {
  return line.startsWith('~') ? b64(line.slice(1).replace(/\\0/g, '\0').replace(/\\1/g, '\x01')) : line;
}

export async function fuzz(data: Buffer): Promise<void> {
  const [first = '', ...rest] = data.toString('utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  const lines = rest.map(wire);
  const sp = first.indexOf(' ');
  const mechanism = sp < 0 ? first : first.slice(0, sp);
  const initial = sp < 0 ? undefined : wire(first.slice(sp + 1));
  for (const line of [initial ?? '', ...lines]) checkDecoders(line);
  await run(mechanism, initial, lines, ANSWERS[data.length % ANSWERS.length]!);
}
