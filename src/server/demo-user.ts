// First start on embedded defaults: a demo domain and user, so `npm start` gives something to log in
// with. The password is random, shown once on stdout (never in the log), and a marker in the users
// database makes sure it is never created again, even after its user is removed. `tessera serve`
// creates it only once every listener is bound: a start that fails (a port in use) must not use up
// the one showing of the password.
import { randomBytes } from 'node:crypto';
import type { TesseraConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { EmbeddedUsers } from '../auth/users/sqlite-users.js';
import { sharedResource } from './resources.js';

const MARKER = 'demo-user-seeded';
export const DEMO_FALLBACK_DOMAIN = 'tessera.local';

/** The demo user this run created, if any: the development IdP's banner lines name it. */
export interface SeededDemoUser {
  username?: string;
}

export const demoUserResource = sharedResource<SeededDemoUser>('demo user', () => ({}));

export interface DemoUser {
  username: string;
  password: string;
}

export async function seedDemoUser(embedded: EmbeddedUsers, config: TesseraConfig, logger: Logger): Promise<DemoUser | undefined> {
  if (!config.settings.seedDemoUser || (await embedded.getMarker(MARKER)) !== undefined) return undefined;
  if ((await embedded.users.list()).length > 0) {
    // Users already exist (made with the CLI before the first start): no demo account needed.
    await embedded.setMarker(MARKER, new Date().toISOString());
    return undefined;
  }
  let username = 'demo';
  if (embedded.users.virtualHosting) {
    const domain = embedded.domains.defaultDomain || DEMO_FALLBACK_DOMAIN;
    if (!(await embedded.domains.contains(domain))) await embedded.domains.add(domain);
    username = `demo@${domain}`;
  }
  const password = randomBytes(15).toString('base64url');
  await embedded.users.add(username, password);
  await embedded.setMarker(MARKER, new Date().toISOString());
  logger.info({ user: username }, 'created the demo user (its password is printed once on stdout)');
  return { username, password };
}
