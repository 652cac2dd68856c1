// HELO (RFC 5321 §4.1.1.1): plain SMTP, no extensions.
import { reply } from '../proto/reply.js';
import type { CommandHandler } from './types.js';

const DOMAIN_OR_LITERAL = /^(?:\[[^\]\s]+\]|[^\s[\]<>]+)$/u;

/** The client's name from HELO/EHLO: a domain or an address literal, else undefined. */
export function greetName(args: string): string | undefined {
  const name = args.trim();
  if (name === '' || !DOMAIN_OR_LITERAL.test(name) || name.length > 255) return undefined;
  return name;
}

export const helo: CommandHandler = (s, args) => {
  const name = greetName(args);
  if (!name) return s.send(reply(501, '5.5.4', 'Syntax: HELO <hostname>'));
  s.resetTransaction();
  s.helo = name;
  s.esmtp = false;
  s.send(reply(250, undefined, `${s.config.helloName} Hello ${name}`));
};
