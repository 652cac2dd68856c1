// The in-memory users repository the protocol tests log in against runs the same contract as the
// embedded SQLite and LDAP repositories, so a test never passes on behaviour no real one has.
import { readOnlyUsersContract, writableUsersContract } from '../../src/auth/users/contract.js';
import { MemoryUsersRepository } from '../support/memory-users.js';

const nothingToDispose = async (): Promise<void> => {};

readOnlyUsersContract('in-memory, virtual hosting', async () => ({
  repository: new MemoryUsersRepository({ 'Mixed.Case@Example.org': 'secret-one', 'plain@example.org': 'Secret-Two' }),
  users: [
    { username: 'Mixed.Case@Example.org', password: 'secret-one' },
    { username: 'plain@example.org', password: 'Secret-Two' },
  ],
  unknownUser: 'ghost@example.org',
  dispose: nothingToDispose,
}));

readOnlyUsersContract('in-memory, bare names', async () => ({
  repository: new MemoryUsersRepository({ Bare: 'bare-secret' }, { virtualHosting: false }),
  users: [{ username: 'Bare', password: 'bare-secret' }],
  unknownUser: 'ghost',
  dispose: nothingToDispose,
}));

writableUsersContract('in-memory, virtual hosting', async () => ({
  repository: new MemoryUsersRepository({}, { domains: ['example.org'] }),
  domain: 'example.org',
  unknownDomain: 'elsewhere.test',
  dispose: nothingToDispose,
}));

writableUsersContract('in-memory, bare names', async () => ({
  repository: new MemoryUsersRepository({}, { virtualHosting: false }),
  dispose: nothingToDispose,
}));
