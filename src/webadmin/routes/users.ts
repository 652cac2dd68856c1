// James /users: list, create or change a password (PUT with {"password"}; an existing user only with
// ?force), test (HEAD), remove. The mail of a removed user stays in the store, as in James and
// `tessera user remove`; a user created again under the same name finds it.
import { InvalidDomainNameError, InvalidPasswordError, UnknownDomainError } from '../../auth/users/errors.js';
import { InvalidUserNameError, ReadOnlyRepositoryError, UnknownUserError, UserExistsError, type UsersRepository } from '../../auth/users/types.js';
import type { AccountStore } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { conflict, invalid, NO_CONTENT, notFound, type WebAdminRoute } from '../types.js';

const TAG = 'Users';

/** The canonical name of an existing user; 404 otherwise. Shared by the routes under /users/{username}. */
export async function existingUser(users: UsersRepository, name: string): Promise<string> {
  const record = await users.lookup(name);
  if (!record) throw notFound(`user ${name} does not exist`);
  return record.username;
}

/** An existing user (404 otherwise) whose mail account exists too: created empty, as a first login would. */
export async function existingAccount(users: UsersRepository, store: AccountStore, name: string): Promise<string> {
  const user = await existingUser(users, name);
  await store.ensureAccount(user);
  return user;
}

function passwordOf(body: unknown): string {
  const password = (body as { password?: unknown } | null)?.password;
  if (typeof password !== 'string' || password === '') throw invalid('the body must be {"password": "…"} with a non-empty password');
  return password;
}

function mapDirectoryError(err: unknown): never {
  if (err instanceof InvalidUserNameError || err instanceof InvalidDomainNameError || err instanceof UnknownDomainError || err instanceof InvalidPasswordError) {
    throw invalid(err.message);
  }
  if (err instanceof UserExistsError) throw conflict(err.message);
  if (err instanceof ReadOnlyRepositoryError) throw conflict(`the users repository is read-only (LDAP): ${err.message}`);
  throw err;
}

export function userRoutes({ users }: WebAdminDeps): WebAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/users',
      tag: TAG,
      summary: 'List the users',
      responses: {
        200: {
          description: 'The users',
          schema: { type: 'array', items: { type: 'object', required: ['username'], properties: { username: { type: 'string' } } } },
        },
      },
      handle: async () => ({ status: 200, body: (await users.list()).map((u) => ({ username: u.username })) }),
    },
    {
      method: 'HEAD',
      path: '/users/{username}',
      tag: TAG,
      summary: 'Whether a user exists',
      responses: { 200: empty('The user exists'), 404: empty('No such user') },
      handle: async ({ params }) => ({ status: (await users.lookup(params['username']!)) ? 200 : 404 }),
    },
    {
      method: 'PUT',
      path: '/users/{username}',
      tag: TAG,
      summary: 'Create a user, or with ?force change the password of an existing one',
      query: [{ name: 'force', description: 'Present: update the password of an existing user', schema: { type: 'string' } }],
      body: { type: 'object', required: ['password'], properties: { password: { type: 'string', minLength: 1 } } },
      responses: { 204: empty('Created or updated'), 400: error('Invalid user name, domain or password'), 409: error('The user exists (without ?force), or the repository is read-only') },
      handle: async ({ params, query, body }) => {
        const name = params['username']!;
        const password = passwordOf(body);
        try {
          const existing = await users.lookup(name);
          if (existing && !query.has('force')) throw new UserExistsError(`user ${existing.username} already exists; add ?force to change the password`);
          if (existing) await users.setPassword(existing.username, password);
          else await users.add(name, password);
        } catch (err) {
          mapDirectoryError(err);
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/users/{username}',
      tag: TAG,
      summary: 'Remove a user (idempotent); the mail stays in the store',
      responses: { 204: empty('Removed'), 409: error('The repository is read-only') },
      handle: async ({ params }) => {
        const record = await users.lookup(params['username']!);
        if (!record) return NO_CONTENT;
        try {
          await users.remove(record.username);
        } catch (err) {
          if (err instanceof UnknownUserError) return NO_CONTENT;
          mapDirectoryError(err);
        }
        return NO_CONTENT;
      },
    },
  ];
}
