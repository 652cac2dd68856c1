// How store failures read in ManageSieve: the response codes of RFC 5804 §1.3.
import { isStoreError } from '../../store/types.js';
import { no } from '../proto/response.js';

/** The NO answer for a store failure; rethrows anything else (a bug: the session logs it and says BYE). */
export function storeFailure(err: unknown): string {
  if (!isStoreError(err)) throw err;
  switch (err.code) {
    case 'noSuchSieveScript':
      return no('There is no script by that name', 'NONEXISTENT');
    case 'sieveScriptExists':
      return no('A script with that name already exists', 'ALREADYEXISTS');
    case 'sieveScriptActive':
      return no('The script is active: deactivate it first', 'ACTIVE');
    case 'overQuota':
      if ('resource' in err && err.resource === 'sieveScripts') return no('Too many scripts', 'QUOTA/MAXSCRIPTS');
      if ('resource' in err && err.resource === 'sieveScriptSize') return no('Script too large', 'QUOTA/MAXSIZE');
      return no('Quota exceeded', 'QUOTA');
    case 'invalidArgument':
      return no(err.message);
    case 'unavailable':
      return no('Script storage temporarily unavailable', 'TRYLATER');
    default:
      throw err;
  }
}

/** Runs a store call; a store failure is answered with its NO, anything else propagates. */
export async function withStore(send: (reply: string) => void, fn: () => Promise<string>): Promise<void> {
  let reply: string;
  try {
    reply = await fn();
  } catch (err) {
    reply = storeFailure(err);
  }
  send(reply);
}
