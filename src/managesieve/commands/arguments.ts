// Argument checks shared by the script commands: a wrong count or type answers NO with the syntax.
import { no } from '../proto/response.js';
import { isValidScriptName, utf8, type Token } from '../proto/tokens.js';
import type { ManageSieveSession } from '../session.js';

/** True when `args` are exactly `count` strings; otherwise answers NO naming the syntax. */
export function expectStrings(s: ManageSieveSession, args: Token[], count: number, syntax: string): boolean {
  if (args.length === count && args.every((a) => a.kind === 'string')) return true;
  s.send(no(`Syntax: ${syntax}`));
  return false;
}

/** A script name argument (RFC 5804 §1.6); undefined after answering NO when it is not one. */
export function scriptName(s: ManageSieveSession, token: Token | undefined): string | undefined {
  const name = utf8(token);
  if (name === undefined || !isValidScriptName(name)) {
    s.send(no('Invalid script name'));
    return undefined;
  }
  return name;
}
