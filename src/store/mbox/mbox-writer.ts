// mboxrd writer: a "From " separator with the sender and asctime date, lines starting with
// (">"*)"From " quoted with one more ">", CRLF turned into LF, and a blank line after each message.

export function mboxEntry(bytes: Buffer, sender: string, date: Date): Buffer {
  const text = bytes.toString('latin1').replace(/\r\n/g, '\n');
  const body = text.replace(/^(>*From )/gm, '>$1');
  const sep = `From ${sender.replace(/\s+/g, '') || 'MAILER-DAEMON'} ${asctime(date)}\n`;
  return Buffer.from(sep + body + (body.endsWith('\n') ? '' : '\n') + '\n', 'latin1');
}

function asctime(d: Date): string {
  const s = d.toUTCString(); // "Mon, 02 Jan 2023 10:00:00 GMT"
  const [, wd, day, mon, year, time] = /^(\w+), (\d+) (\w+) (\d+) ([\d:]+)/.exec(s) ?? [];
  return `${wd} ${mon} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
}
