// Message builders shared by the store tests.
export function message(opts: {
  from?: string;
  to?: string;
  subject?: string;
  body?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  date?: string;
  extraHeaders?: string[];
}): Buffer {
  const lines = [
    `From: ${opts.from ?? 'Alice Sender <alice@example.org>'}`,
    `To: ${opts.to ?? 'Bob <bob@example.com>'}`,
    `Subject: ${opts.subject ?? 'Hello'}`,
    `Date: ${opts.date ?? 'Mon, 02 Jan 2023 10:00:00 +0000'}`,
    `Message-ID: <${opts.messageId ?? Math.random().toString(36).slice(2) + '@example.org'}>`,
  ];
  if (opts.inReplyTo) lines.push(`In-Reply-To: <${opts.inReplyTo}>`);
  if (opts.references) lines.push(`References: ${opts.references}`);
  lines.push(...(opts.extraHeaders ?? []));
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', opts.body ?? 'Hello world.', '');
  return Buffer.from(lines.join('\r\n'));
}

export const MULTIPART = Buffer.from(
  [
    'From: "Carol" <carol@example.net>',
    'To: dave@example.com',
    'Subject: =?utf-8?q?Caf=C3=A9_report?=',
    'Date: Tue, 03 Jan 2023 11:00:00 +0100',
    'Message-ID: <multi@example.net>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    'preamble',
    '--b1',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Le caf=E9 est pr=EAt.',
    '--b1',
    'Content-Type: application/octet-stream; name="data.bin"',
    'Content-Disposition: attachment; filename="data.bin"',
    'Content-Transfer-Encoding: base64',
    '',
    'AAECAwQ=',
    '--b1--',
    '',
  ].join('\r\n'),
);
