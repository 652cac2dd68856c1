// Opens, for a CLI command, the same users database the server uses: the conf directory says where
// the data directory is and how names look (virtual hosting, configured domains).
import { loadDirectoryConfig, type DirectoryConfig } from '../config/load.js';
import { silentLogger } from '../log/logger.js';
import type { EmbeddedUsers } from '../auth/users/embedded.js';
import { embeddedUsersConfig, openEmbeddedUsers } from '../server/users.js';
import type { CliIO } from './types.js';

export interface CliDirectory {
  config: DirectoryConfig;
  embedded: EmbeddedUsers;
}

/**
 * Loads what users and domains need of the conf directory (tessera.properties, domainlist.xml,
 * usersrepository.xml; never the listener files), prints its warnings, and opens the users database.
 */
export async function openDirectory(confDir: string, io: CliIO): Promise<CliDirectory> {
  const { config, warnings } = await loadDirectoryConfig(confDir, { env: io.env });
  for (const w of warnings) io.stderr.write(`tessera: warning: ${w.file}: ${w.key}: ${w.message}\n`);
  // Domains always live in Tessera's users database (users.sqlite or PostgreSQL, as storage.engine
  // says); with LDAP users, only their naming rule matters here.
  const embedded = await openEmbeddedUsers(config.settings, embeddedUsersConfig(config.users), config.domains, silentLogger());
  return { config, embedded };
}
