// ENABLE (RFC 5161): turns on extensions that change server behaviour for this session.
import type { CommandSpec } from '../types.js';
import { ImapSyntaxError } from '../proto/errors.js';

const ENABLEABLE = new Set(['UTF8=ACCEPT', 'CONDSTORE', 'QRESYNC', 'IMAP4REV2', 'UIDONLY']);

export const enable: CommandSpec = {
  states: ['auth', 'selected'],
  expungeAfter: true,
  async run(s, args) {
    if (args.remaining === 0) throw new ImapSyntaxError('ENABLE needs at least one capability');
    const advertised = new Set(s.capabilities().map((c) => c.toUpperCase()));
    const now: string[] = [];
    while (args.remaining > 0) {
      const cap = args.atom('capability').toUpperCase();
      if (!ENABLEABLE.has(cap) || !advertised.has(cap) || s.enabled.has(cap)) continue;
      s.enabled.add(cap);
      if (cap === 'QRESYNC' && advertised.has('CONDSTORE')) s.enabled.add('CONDSTORE');
      now.push(cap === 'IMAP4REV2' ? 'IMAP4rev2' : cap);
    }
    s.untagged(`ENABLED${now.length ? ' ' + now.join(' ') : ''}`);
  },
};
