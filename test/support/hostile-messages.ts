// Messages shaped to exhaust a naive parser or serialiser: very many MIME parts, very many
// addresses in one header, very deep multipart nesting. Shared by the IMAP and JMAP tests.

const HEAD = 'From: Mallory <mallory@example.org>\r\nSubject: hostile\r\nDate: Thu, 03 Dec 2026 08:00:00 +0000\r\nMessage-ID: <hostile@example.org>\r\nMIME-Version: 1.0\r\n';

/** multipart/mixed with `n` small text/plain parts. */
export function manyParts(n: number): Buffer {
  const lines = [`${HEAD}To: alice@example.org\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n`];
  for (let i = 0; i < n; i++) lines.push(`--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`);
  lines.push('--b--\r\n');
  return Buffer.from(lines.join(''), 'latin1');
}

/** A plain message whose To header lists `n` addresses a0@example.org…, folded one per line. */
export function manyAddresses(n: number): Buffer {
  const to = Array.from({ length: n }, (_, i) => `"a${i}" <a${i}@example.org>`).join(',\r\n ');
  return Buffer.from(`${HEAD}To: ${to}\r\nContent-Type: text/plain\r\n\r\nhello\r\n`, 'latin1');
}

/** `depth` multiparts, each the only child of the one before, with a text part at the bottom. */
export function deepNesting(depth: number): Buffer {
  const open: string[] = [`${HEAD}To: alice@example.org\r\nContent-Type: multipart/mixed; boundary="d0"\r\n\r\n`];
  for (let i = 1; i < depth; i++) open.push(`--d${i - 1}\r\nContent-Type: multipart/mixed; boundary="d${i}"\r\n\r\n`);
  open.push(`--d${depth - 1}\r\nContent-Type: text/plain\r\n\r\nbottom\r\n`);
  const close: string[] = [];
  for (let i = depth - 1; i >= 0; i--) close.push(`--d${i}--\r\n`);
  return Buffer.from(open.join('') + close.join(''), 'latin1');
}

/** `depth` message/rfc822 parts, each the body of the one before, with a text body at the bottom. */
export function deepMessages(depth: number): Buffer {
  let message = 'Subject: bottom\r\n\r\nbottom\r\n';
  for (let i = depth; i > 0; i--) message = `Subject: level ${i}\r\nContent-Type: message/rfc822\r\n\r\n${message}`;
  return Buffer.from(`${HEAD}To: alice@example.org\r\nContent-Type: message/rfc822\r\n\r\n${message}`, 'latin1');
}
