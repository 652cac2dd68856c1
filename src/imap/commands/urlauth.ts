// GENURLAUTH, URLFETCH and RESETKEY (RFC 4467), URLFETCH's BODYPARTSTRUCTURE/BODY/BINARY parameters
// (RFC 5524 §3).
import type { CommandSpec } from '../types.js';
import { ImapNoError, ImapSyntaxError } from '../proto/errors.js';
import { imapString, type Wire } from '../proto/serialize.js';
import { writeResponse, type ResponsePiece } from '../fetch/literal-stream.js';
import { BytesGoneError } from '../../store/api/byte-source.js';
import { tokenText } from '../proto/args.js';
import type { Token } from '../proto/tokens.js';
import type { ImapSession } from '../session.js';
import type { MimePart } from '../../store/types.js';
import { bodyStructureWire } from '../fetch/structure.js';
import { UnknownTransferEncoding } from '../fetch/binary-convert.js';
import { mailboxArg, findMailbox } from '../mailbox-name.js';
import { generateToken, ownerAccount, parseAuthUrl, resetKey, resolveAuthUrl, urlBinary, urlBody, urlStructure } from '../urlauth.js';

export const genurlauth: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    const out: Wire[] = [];
    if (args.remaining === 0) throw new ImapSyntaxError('GENURLAUTH needs a URL and a mechanism');
    while (args.remaining > 0) {
      const url = args.astring('URL');
      const mech = args.atom('mechanism').toUpperCase();
      if (mech !== 'INTERNAL') throw new ImapNoError('Only the INTERNAL mechanism is supported', 'CANNOT');
      const u = parseAuthUrl(url);
      if (!u || u.token) throw new ImapSyntaxError('Not a URLAUTH-able IMAP URL');
      if ((await ownerAccount(s, u)) !== s.account) throw new ImapNoError('The URL does not name one of your mailboxes', 'CANNOT');
      const token = await generateToken(s, u);
      if (!token) throw new ImapNoError('Mailbox does not exist', 'NONEXISTENT');
      out.push(' ', imapString(`${url}:INTERNAL:${token}`));
    }
    s.untagged('GENURLAUTH', ...out);
  },
};

/** One URLFETCH argument: a bare URL (RFC 4467) or a URL with RFC 5524 fetch parameters. */
interface UrlFetchRequest {
  url: string;
  /** RFC 5524 form: the answer is a parenthesised list of the items asked for. */
  extended: boolean;
  bodyPartStructure: boolean;
  data: 'BODY' | 'BINARY' | undefined;
}

function parseUrlFetchArg(t: Token): UrlFetchRequest {
  if (t.type !== 'list') return { url: tokenText(t), extended: false, bodyPartStructure: false, data: 'BODY' };
  const [first, ...params] = t.items;
  if (!first) throw new ImapSyntaxError('URLFETCH parameter list needs a URL');
  const r: UrlFetchRequest = { url: tokenText(first), extended: true, bodyPartStructure: false, data: undefined };
  for (const p of params) {
    const name = p.type === 'atom' ? p.value.toUpperCase() : '';
    if (name === 'BODYPARTSTRUCTURE') r.bodyPartStructure = true;
    else if (name === 'BODY' || name === 'BINARY') {
      if (r.data && r.data !== name) throw new ImapSyntaxError('BODY and BINARY cannot both be asked for');
      r.data = name;
    } else if (name === 'ANNOTATION') {
      // RFC 5524 §3.1 ties ANNOTATION to the ANNOTATE extension (RFC 5257), which is not offered.
      throw new ImapSyntaxError('URLFETCH ANNOTATION needs ANNOTATE, which this server does not offer');
    } else throw new ImapSyntaxError('Unknown URLFETCH parameter');
  }
  // RFC 5524 §3.1: a parameter list with no parameters asks for the data as stored.
  if (!r.bodyPartStructure && !r.data) r.data = 'BODY';
  return r;
}

/** The RFC 5524 answer for one URL: `(BODYPARTSTRUCTURE (...) BINARY ~{n}...)` or NIL. */
async function extendedAnswer(s: ImapSession, req: UrlFetchRequest): Promise<ResponsePiece[]> {
  const target = await resolveAuthUrl(s, req.url);
  if (!target) return ['NIL'];
  let structure: MimePart | null = urlStructure(target);
  let data: ResponsePiece | undefined;
  if (req.data === 'BODY') {
    data = (await urlBody(target)) ?? 'NIL';
  } else if (req.data === 'BINARY') {
    try {
      const converted = await urlBinary(target);
      // The structure of what is sent (decoded sizes and line counts), as Dovecot answers it.
      if (converted?.structure) structure = converted.structure;
      data = converted ? converted.value : 'NIL';
    } catch (err) {
      if (!(err instanceof UnknownTransferEncoding)) throw err;
      data = 'NIL'; // RFC 5524 §3.1: data the server cannot decode is answered NIL
    }
  }
  const out: ResponsePiece[] = ['('];
  if (req.bodyPartStructure && structure) {
    out.push('BODYPARTSTRUCTURE ');
    for (const piece of bodyStructureWire(structure, true, s.utf8)) out.push(piece);
  }
  if (data !== undefined) out.push(req.bodyPartStructure && structure ? ' ' : '', `${req.data} `, data);
  out.push(')');
  return out;
}

/** One URL's answer; NIL when its message went away before its data could be read. */
async function answer(s: ImapSession, req: UrlFetchRequest): Promise<ResponsePiece[]> {
  try {
    if (req.extended) return await extendedAnswer(s, req);
    const target = await resolveAuthUrl(s, req.url);
    return [(target && (await urlBody(target))) ?? 'NIL'];
  } catch (err) {
    if (!(err instanceof BytesGoneError)) throw err;
    return ['NIL'];
  }
}

export const urlfetch: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    if (args.remaining === 0) throw new ImapSyntaxError('URLFETCH needs a URL');
    const requests: UrlFetchRequest[] = [];
    while (args.remaining > 0) requests.push(parseUrlFetchArg(args.next('URL')));
    // The data are streamed from the store as the response is written (never held whole).
    const out: ResponsePiece[] = ['* URLFETCH'];
    for (const req of requests) {
      out.push(' ', imapString(req.url), ' ');
      for (const piece of await answer(s, req)) out.push(piece);
    }
    out.push('\r\n');
    await writeResponse(s, out);
  },
};

export const resetkey: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    if (args.remaining === 0) {
      for (const b of await s.store.listMailboxes(s.account!)) await resetKey(s, s.account!, b.id);
      return;
    }
    const name = mailboxArg(s, args);
    while (args.remaining > 0) if (args.atom('mechanism').toUpperCase() !== 'INTERNAL') throw new ImapNoError('Unknown mechanism', 'CANNOT');
    const box = await findMailbox(s, name);
    await resetKey(s, s.account!, box.id);
  },
};
