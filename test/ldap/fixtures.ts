// Shared setup of the LDAP tests: the directory's users and a usersrepository.xml equivalent.
import { createServer, type Server, type Socket } from 'node:net';
import type { LdapUsersConfig } from '../../src/config/types.js';
import { freePort, type SlapdServer, type SlapdUser } from '../support/slapd.js';

export const ALICE = { uid: 'alice', password: 'alice-Secret1', mail: 'alice@tessera.test' } satisfies SlapdUser;
export const BOB = { uid: 'bob', password: 'bob pass with spaces', mail: 'Bob@Tessera.TEST' } satisfies SlapdUser;
export const CAROL = { uid: 'Carol.Mixed', password: 'Carol-Pw', mail: 'carol.mixed@tessera.test' } satisfies SlapdUser;
/** Named by cn with a comma: her DN needs RFC 4514 escaping. */
export const JANE = { uid: 'jane', cn: 'Doe, Jane', rdn: 'cn', password: 'jane;pw', mail: 'jane@example.org' } satisfies SlapdUser;
export const ZOE = { uid: 'zoë', password: 'pässwörd-日本', mail: 'zoe@example.org' } satisfies SlapdUser;
/** A real user whose name is full of filter metacharacters: found only by its exact name. */
export const WEIRD = { uid: 'weird*(user)\\', password: 'weird-pw', mail: 'weird@example.org' } satisfies SlapdUser;
/** Excluded by the configured filter. */
export const DAVE = { uid: 'dave', password: 'dave-pw', mail: 'dave@tessera.test', employeeType: 'disabled' } satisfies SlapdUser;
/** Outside userBase. */
export const OLGA = { uid: 'olga', password: 'olga-pw', mail: 'olga@tessera.test', ou: 'others' } satisfies SlapdUser;

/** Filter-injection attempts used as user names: each must match nobody. */
export const HOSTILE_NAMES = [
  '*',
  ')(uid=*',
  '*)(uid=*',
  'admin)(|(uid=*',
  'alice)(|(uid=*',
  '*)(|(objectClass=*',
  'al*',
  '*ice',
  '\\00',
  '\u0000',
  'alice\u0000',
  '\\2a',
  '\\',
  '(uid=alice)',
  'alice)',
  '(',
  'dave)(|(employeeType=disabled',
];

export const ALL_USERS: SlapdUser[] = [ALICE, BOB, CAROL, JANE, ZOE, WEIRD, DAVE, OLGA];
export const ACTIVE_USERS = [ALICE, BOB, CAROL, JANE, ZOE, WEIRD];

/** What usersrepository.xml with ReadOnlyUsersLDAPRepository would say for this slapd. */
export function ldapConfig(slapd: SlapdServer, overrides: Partial<LdapUsersConfig> = {}): LdapUsersConfig {
  return {
    kind: 'ldap',
    ldapHost: [slapd.url],
    principal: slapd.serviceDn,
    credentials: slapd.servicePassword,
    userBase: slapd.peopleDn,
    userIdAttribute: 'uid',
    userObjectClass: 'inetOrgPerson',
    filter: '(!(employeeType=disabled))',
    connectionTimeout: 2_000,
    readTimeout: 5_000,
    startTLS: false,
    enableVirtualHosting: false,
    ...overrides,
  };
}

/** A loopback port with nothing listening (bound once, then released). */
export async function deadUrl(): Promise<string> {
  return `ldap://127.0.0.1:${await freePort()}`;
}

/** A server that accepts connections and never says a word: only a read timeout gets past it. */
export async function startBlackhole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ldap://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
