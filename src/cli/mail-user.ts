// import/export name a user on the command line: the account they touch must be the one the server
// uses, so the name is looked up in the configured users repository (embedded or LDAP) and its
// canonical form used. An unknown user is an error rather than a new, unreachable account.
import { loadDirectoryConfig } from '../config/load.js';
import { UnknownUserError } from '../auth/users/types.js';
import { silentLogger } from '../log/logger.js';
import { openUsers } from '../server/users.js';

export async function canonicalMailUser(confDir: string, env: NodeJS.ProcessEnv, user: string): Promise<string> {
  const { config } = await loadDirectoryConfig(confDir, { env });
  const opened = await openUsers(config, silentLogger());
  try {
    const record = await opened.users.lookup(user);
    if (!record) throw new UnknownUserError(`no such user: ${user} (add it with: tessera user add ${user})`);
    return record.username;
  } finally {
    await opened.close();
  }
}
