// mboxrd writer: a "From " separator with the sender and asctime date, lines starting with
// (">"*)"From " quoted with one more ">", CRLF turned into LF, and a blank line after each message.
// A message goes through a piece at a time (tessera export streams it from the store): each piece is
// cut where quoting and CRLF → LF read nothing across the cut, so the output is the same as if the
// message were converted whole.

/** The mbox entry of a message whose bytes come in `chunks`. */
export async function* mboxEntry(chunks: AsyncIterable<Buffer>, sender: string, date: Date): AsyncGenerator<Buffer> {
  yield Buffer.from(`From ${sender.replace(/\s+/g, '') || 'MAILER-DAEMON'} ${asctime(date)}\n`, 'latin1');
  let pending: Buffer = Buffer.alloc(0);
  let endsWithLf = false;
  const convert = (bytes: Buffer): Buffer | undefined => {
    if (bytes.length === 0) return undefined;
    const text = bytes.toString('latin1').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1');
    endsWithLf = text.endsWith('\n');
    return Buffer.from(text, 'latin1');
  };
  for await (const chunk of chunks) {
    const scanned = pending.length;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const cut = safeCut(pending, scanned);
    const out = convert(pending.subarray(0, cut));
    pending = pending.subarray(cut);
    if (out) yield out;
  }
  const last = convert(pending);
  if (last) yield last;
  yield Buffer.from(endsWithLf ? '\n' : '\n\n', 'latin1');
}

const CR = 0x0d;
const LF = 0x0a;
const GT = 0x3e;
const F = 0x46;

/**
 * The last offset after `after` where the bytes may be cut (0: none yet): after a LF, or inside a
 * line where the 6 bytes before and the one after hold no CR, LF, ">" or "F" — no CRLF, and no
 * (">"*)"From " at a line start (JS's ^ also follows a lone CR), can then reach over the cut, and the
 * next piece cannot start with one. Only a line of nothing but such bytes is held whole.
 */
function safeCut(bytes: Buffer, after: number): number {
  const special = (b: number | undefined): boolean => b === CR || b === LF || b === GT || b === F;
  for (let cut = bytes.length; cut > Math.max(0, after - 7); cut--) {
    if (bytes[cut - 1] === LF) return cut;
    if (cut < 6 || cut >= bytes.length) continue;
    let clear = !special(bytes[cut]);
    for (let i = cut - 6; clear && i < cut; i++) clear = !special(bytes[i]);
    if (clear) return cut;
  }
  return 0;
}

function asctime(d: Date): string {
  const s = d.toUTCString(); // "Mon, 02 Jan 2023 10:00:00 GMT"
  const [, wd, day, mon, year, time] = /^(\w+), (\d+) (\w+) (\d+) ([\d:]+)/.exec(s) ?? [];
  return `${wd} ${mon} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
}
