// The mailbox the message-model bench reads: a deterministic mix of the structures real mail has,
// so every run (before and after a refactor) parses exactly the same bytes.
//   plain text (us-ascii, UTF-8 quoted-printable, ISO-8859-1), multipart/alternative (text + HTML),
//   multipart/mixed with attachments (RFC 2231 file names, base64), multipart/related (HTML with an
//   inline image), forwards carrying a message/rfc822 part, encoded-word subjects and display names
//   in several charsets, replies to long To/Cc lists that contain groups.
import { mulberry32 as prng } from '../../test/support/prng.js';

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const between = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const WORDS = (
  'the meeting agenda budget report quarterly review please find attached draft contract invoice ' +
  'schedule tomorrow afternoon thanks regards project release server migration deadline customer ' +
  'feedback design proposal update status numbers figures slides minutes summary follow-up question'
).split(' ');
const ACCENTED = ['café', 'naïve', 'Müller', 'Straße', 'déjà vu', 'señor', 'Ångström', 'crème brûlée', 'Zoë', 'façade'];

/** An RFC 2047 encoded-word: B (base64 of UTF-8) or Q (ISO-8859-1 bytes), as mail clients write them. */
function encodedWord(text: string, r: Rand): string {
  const latin1 = [...text].every((c) => c.charCodeAt(0) < 256);
  if (latin1 && r() < 0.5) {
    const q = [...Buffer.from(text, 'latin1')]
      // Only the characters RFC 2047 §5(3) allows raw in a phrase; the rest as =XX.
      .map((b) => (b === 0x20 ? '_' : /[A-Za-z0-9!*+\-/]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0')))
      .join('');
    return `=?ISO-8859-1?Q?${q}?=`;
  }
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

interface Person {
  name: string;
  email: string;
}

const PEOPLE: Person[] = [
  { name: 'Jürgen Müller', email: 'juergen.mueller@example.de' },
  { name: 'François Lefèvre', email: 'f.lefevre@example.fr' },
  { name: 'Zoë Ångström', email: 'zoe@example.se' },
  { name: 'Doe, Jane', email: 'jane.doe@example.com' },
  { name: 'Bob Smith', email: 'bob@example.org' },
  { name: 'Алексей Иванов', email: 'alexey@example.ru' },
  { name: '山田 太郎', email: 'taro.yamada@example.jp' },
  { name: 'María José García', email: 'mjgarcia@example.es' },
  { name: "O'Brien, Seán", email: 'sean.obrien@example.ie' },
  { name: 'Support Team', email: 'support@helpdesk.example.net' },
  { name: '', email: 'noreply@notifications.example.com' },
  { name: 'Chloé Dubois', email: 'chloe.dubois@example.fr' },
];

/** One mailbox in the many spellings real headers use: plain, quoted, encoded-word, comment. */
function mailbox(p: Person, r: Rand): string {
  if (!p.name) return p.email;
  if (/[^\x20-\x7e]/.test(p.name)) return `${encodedWord(p.name, r)} <${p.email}>`;
  if (/[,'.]/.test(p.name)) return `"${p.name}" <${p.email}>`;
  return r() < 0.15 ? `${p.email} (${p.name})` : `${p.name} <${p.email}>`;
}

/** A long recipient list: many mailboxes, one or two groups, sometimes an empty group. */
function longList(r: Rand, i: number): string {
  const parts: string[] = [];
  const n = between(r, 8, 30);
  for (let k = 0; k < n; k++) parts.push(mailbox({ name: `Member ${i % 50}-${k}`, email: `member${k}.${i % 50}@lists.example.org` }, r));
  parts.splice(between(r, 0, parts.length), 0, `Project Team: ${mailbox(pick(r, PEOPLE), r)}, ${mailbox(pick(r, PEOPLE), r)}, "Ops, Night" <ops-night@example.org>;`);
  if (r() < 0.4) parts.push('undisclosed-recipients:;');
  if (r() < 0.5) parts.splice(between(r, 0, parts.length), 0, `${encodedWord('Équipe Qualité', r)}: qa1@example.fr, ${mailbox(PEOPLE[1]!, r)};`);
  return parts.join(',\r\n ');
}

function sentence(r: Rand, words: number): string {
  const ws = Array.from({ length: words }, () => (r() < 0.06 ? pick(r, ACCENTED) : pick(r, WORDS)));
  return ws.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.';
}

function paragraphs(r: Rand, count: number): string[] {
  return Array.from({ length: count }, () => Array.from({ length: between(r, 2, 6) }, () => sentence(r, between(r, 6, 18))).join(' '));
}

/** Wraps text at 76 columns on spaces, as mail clients do for format=flowed-less plain text. */
function wrap(text: string): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > 76) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join('\r\n');
}

/** Quoted-printable of UTF-8 text (soft line breaks at 76). */
function quotedPrintable(text: string): string {
  return text
    .split('\r\n')
    .map((line) => {
      let enc = '';
      let col = 0;
      for (const b of Buffer.from(line, 'utf8')) {
        const piece = (b >= 0x21 && b <= 0x7e && b !== 0x3d) || b === 0x20 ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0');
        if (col + piece.length > 75) {
          enc += '=\r\n';
          col = 0;
        }
        enc += piece;
        col += piece.length;
      }
      return enc.endsWith(' ') ? enc.slice(0, -1) + '=20' : enc;
    })
    .join('\r\n');
}

function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function randomBytes(r: Rand, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = Math.floor(r() * 256);
  return b;
}

interface Part {
  headers: string[];
  body: string;
}

const render = (p: Part): string => `${p.headers.join('\r\n')}\r\n\r\n${p.body}`;

function multipart(subtype: string, boundary: string, parts: Part[], extraParams = ''): Part {
  const body = parts.map((p) => `--${boundary}\r\n${render(p)}\r\n`).join('') + `--${boundary}--\r\n`;
  return { headers: [`Content-Type: multipart/${subtype}; boundary="${boundary}"${extraParams}`], body: `This is a multi-part message in MIME format.\r\n\r\n${body}` };
}

function textPart(r: Rand, paras: string[]): Part {
  const text = paras.map(wrap).join('\r\n\r\n') + '\r\n';
  const style = r();
  if (style < 0.3 && !/[^\x00-\x7f]/.test(text)) return { headers: ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit'], body: text };
  if (style < 0.5 && [...text].every((c) => c.charCodeAt(0) < 256)) {
    // The message is turned into bytes as latin1, so this body is stored as ISO-8859-1 octets.
    return { headers: ['Content-Type: text/plain; charset=ISO-8859-1', 'Content-Transfer-Encoding: 8bit'], body: text };
  }
  return { headers: ['Content-Type: text/plain; charset=UTF-8; format=flowed', 'Content-Transfer-Encoding: quoted-printable'], body: quotedPrintable(text) };
}

function htmlPart(paras: string[], inlineCid?: string): Part {
  const img = inlineCid ? `<p><img src="cid:${inlineCid}" alt="chart" width="480"></p>` : '';
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>p{font-family:Arial,sans-serif;font-size:14px}</style></head><body>\r\n${paras.map((p) => `<p>${p}</p>`).join('\r\n')}\r\n${img}<div class="signature">--<br>Sent from my desk</div></body></html>\r\n`;
  return { headers: ['Content-Type: text/html; charset=UTF-8', 'Content-Transfer-Encoding: quoted-printable'], body: quotedPrintable(html) };
}

const ATTACHMENTS = [
  { type: 'application/pdf', name: 'Quarterly report Q3.pdf', lo: 8_000, hi: 60_000 },
  { type: 'image/png', name: 'screenshot.png', lo: 2_000, hi: 24_000 },
  { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', name: 'Entwurf Vertrag – Müller.docx', lo: 6_000, hi: 30_000 },
  { type: 'text/csv', name: 'figures.csv', lo: 500, hi: 4_000 },
  { type: 'application/zip', name: 'résumé archive.zip', lo: 4_000, hi: 40_000 },
] as const;

function attachmentPart(r: Rand): Part {
  const a = pick(r, ATTACHMENTS);
  const data = randomBytes(r, between(r, a.lo, a.hi));
  const ascii = /^[\x20-\x7e]*$/.test(a.name);
  // Non-ASCII names both ways clients write them: RFC 2231 parameters and (Outlook) encoded-words.
  const disp = ascii
    ? `Content-Disposition: attachment; filename="${a.name}"`
    : r() < 0.5
      ? `Content-Disposition: attachment;\r\n filename*=utf-8''${encodeURIComponent(a.name)}`
      : `Content-Disposition: attachment; filename="${encodedWord(a.name, r)}"`;
  return { headers: [`Content-Type: ${a.type}; name="${ascii ? a.name : encodedWord(a.name, r)}"`, disp, 'Content-Transfer-Encoding: base64'], body: base64Lines(data) + '\r\n' };
}

function inlineImage(r: Rand, cid: string): Part {
  return {
    headers: ['Content-Type: image/png; name="chart.png"', 'Content-Disposition: inline; filename="chart.png"', `Content-ID: <${cid}>`, 'Content-Transfer-Encoding: base64'],
    body: base64Lines(randomBytes(r, between(r, 3_000, 15_000))) + '\r\n',
  };
}

type Kind = 'plain' | 'alternative' | 'mixed' | 'related' | 'forward';
const KINDS: Array<[Kind, number]> = [['plain', 0.3], ['alternative', 0.25], ['mixed', 0.2], ['related', 0.1], ['forward', 0.15]];

function kindOf(r: Rand): Kind {
  let x = r();
  for (const [k, w] of KINDS) if ((x -= w) < 0) return k;
  return 'plain';
}

const BASE_TIME = Date.UTC(2026, 0, 5, 8, 0, 0);

function subjectFor(r: Rand, i: number): string {
  const s = r();
  // The topic itself stays ASCII: raw 8-bit subjects are covered by the encoded-word forms.
  const topic = `${Array.from({ length: between(r, 3, 7) }, () => pick(r, WORDS)).join(' ')} #${i}`;
  if (s < 0.15) return `Subject: ${encodedWord(`Réunion: ${topic} – ${pick(r, ACCENTED)}`, r)}`;
  if (s < 0.25) return `Subject: =?UTF-8?B?${Buffer.from('Re: 会議の議事録 ').toString('base64')}?=\r\n =?UTF-8?Q?=E2=80=94_${topic.replace(/ /g, '_').replace(/[#?=]/g, '')}?=`;
  if (s < 0.35) return `Subject: ${encodedWord(`${pick(r, ['Re', 'AW', 'Fwd'])}: ${pick(r, ACCENTED)} ${topic}`, r)}`;
  return `Subject: ${r() < 0.3 ? 'Re: ' : ''}${topic}`;
}

function body(kind: Kind, r: Rand, i: number): Part {
  const paras = paragraphs(r, between(r, 1, 6));
  switch (kind) {
    case 'plain':
      return textPart(r, paras);
    case 'alternative':
      return multipart('alternative', `=_alt_${i}_${between(r, 1000, 9999)}`, [textPart(r, paras), htmlPart(paras)]);
    case 'related': {
      const cid = `chart${i}@example.org`;
      const related = multipart('related', `=_rel_${i}`, [htmlPart(paras, cid), inlineImage(r, cid)], '; type="text/html"');
      return multipart('alternative', `=_alt_${i}`, [textPart(r, paras), related]);
    }
    case 'mixed': {
      const attachments = Array.from({ length: between(r, 1, 3) }, () => attachmentPart(r));
      const lead = r() < 0.6 ? multipart('alternative', `=_alt_${i}`, [textPart(r, paras), htmlPart(paras)]) : textPart(r, paras);
      return multipart('mixed', `----=_Part_${i}_${between(r, 100000, 999999)}`, [lead, ...attachments]);
    }
    case 'forward': {
      // The forwarded message is itself multipart, sometimes with its own attachment.
      const inner = messageBytes(i + 1_000_000, r() < 0.5 ? 'alternative' : 'mixed').toString('latin1');
      const fwd: Part = { headers: ['Content-Type: message/rfc822', 'Content-Disposition: inline'], body: inner };
      return multipart('mixed', `=_fwd_${i}`, [textPart(r, [`Forwarding this, see below. ${sentence(r, 8)}`]), fwd]);
    }
  }
}

/** Message `i` of the bench mailbox, byte-exact on every run. `forceKind` is used for forwarded inner messages. */
export function messageBytes(i: number, forceKind?: Kind): Buffer {
  const r = prng(0x5eed + i * 7919);
  const kind = forceKind ?? kindOf(r);
  const from = pick(r, PEOPLE);
  const sent = new Date(BASE_TIME + i * 97_000 + between(r, 0, 60_000));
  const zone = pick(r, ['+0000', '+0100', '-0500', '+0900', '+0530']);
  const longRecipients = r() < 0.25;
  const headers = [
    `Return-Path: <${from.email}>`,
    `Received: from mx.${from.email.split('@')[1]} (mx.${from.email.split('@')[1]} [192.0.2.${i % 250}])\r\n\tby mail.example.org with ESMTPS id ${i.toString(36)}\r\n\tfor <bench@example.org>; ${sent.toUTCString().replace('GMT', '+0000')}`,
    `From: ${mailbox(from, r)}`,
    `To: ${longRecipients ? longList(r, i) : `${mailbox({ name: 'Bench User', email: 'bench@example.org' }, r)}${r() < 0.4 ? `, ${mailbox(pick(r, PEOPLE), r)}` : ''}`}`,
    ...(longRecipients || r() < 0.3 ? [`Cc: ${longRecipients ? longList(r, i + 7) : mailbox(pick(r, PEOPLE), r)}`] : []),
    ...(r() < 0.1 ? [`Reply-To: ${mailbox(pick(r, PEOPLE), r)}`] : []),
    subjectFor(r, i),
    `Date: ${sent.toUTCString().replace('GMT', zone)}`,
    `Message-ID: <${i}.${between(r, 100000, 999999)}@${from.email.split('@')[1]}>`,
    ...(i % 4 !== 0 && i < 1_000_000 ? [`In-Reply-To: <${i - (i % 4)}.1@example.org>`, `References: <${i - (i % 4)}.1@example.org>`] : []),
    'MIME-Version: 1.0',
    ...(r() < 0.5 ? ['X-Mailer: Bench Mail 1.0'] : []),
  ];
  const b = body(kind, r, i);
  return Buffer.from(`${headers.join('\r\n')}\r\n${render(b)}`, 'latin1');
}

/** The receive time of message `i` (INTERNALDATE / receivedAt). */
export function receivedAt(i: number): Date {
  return new Date(BASE_TIME + i * 97_000 + 90_000);
}

/** Keywords the way a read mailbox has them: most seen, some answered/flagged, a few custom. */
export function keywordsOf(i: number): string[] {
  const k: string[] = [];
  if (i % 10 !== 0) k.push('$seen');
  if (i % 7 === 0) k.push('$answered');
  if (i % 23 === 0) k.push('$flagged');
  if (i % 31 === 0) k.push('project-x');
  return k;
}
