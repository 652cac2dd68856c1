// James /users/{username}/mailboxes: a user's mailboxes by name, with James' "." as the hierarchy
// delimiter over WebAdmin (the store's paths use "/"). Deleting a mailbox deletes its children and
// their mail, as James does; INBOX itself is kept (every account has one, IMAP can't delete it
// either): deleting all mailboxes leaves an INBOX without children.
import { ForbiddenError, InvalidNameError, MailboxExistsError } from '../../store/errors.js';
import type { Mailbox, MailStore } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error } from '../schemas.js';
import { conflict, invalid, NO_CONTENT, notFound, type WebAdminRoute } from '../types.js';
import { existingAccount } from './users.js';

const TAG = 'User mailboxes';

const toPath = (name: string): string => name.split('.').join('/');
const toName = (path: string): string => path.split('/').join('.');

/** Deepest first, so a parent never outlives the children a store could refuse to orphan. */
async function deleteTree(store: MailStore, account: string, all: Mailbox[], root: Mailbox): Promise<void> {
  const doomed = all.filter((m) => m.id === root.id || m.path.startsWith(`${root.path}/`)).sort((a, b) => b.path.length - a.path.length);
  for (const m of doomed) await store.deleteMailbox(account, m.id, { removeEmails: true });
}

export function mailboxRoutes({ users, store }: WebAdminDeps): WebAdminRoute[] {
  const account = (name: string): Promise<string> => existingAccount(users, store, name);
  const userNotFound = error('No such user');
  return [
    {
      method: 'GET',
      path: '/users/{username}/mailboxes',
      tag: TAG,
      summary: "List a user's mailboxes",
      responses: {
        200: { description: 'The mailboxes', schema: { type: 'array', items: { type: 'object', required: ['mailboxName'], properties: { mailboxName: { type: 'string' } } } } },
        404: userNotFound,
      },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        return { status: 200, body: (await store.listMailboxes(user)).map((m) => ({ mailboxName: toName(m.path) })) };
      },
    },
    {
      method: 'DELETE',
      path: '/users/{username}/mailboxes',
      tag: TAG,
      summary: "Delete all of a user's mailboxes and their mail (INBOX stays, emptied of children)",
      responses: { 204: empty('Deleted'), 404: userNotFound },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        const all = await store.listMailboxes(user);
        const inbox = all.find((m) => m.path === 'INBOX');
        for (const root of all.filter((m) => m.parentId === null || m.parentId === inbox?.id)) {
          if (root.id !== inbox?.id) await deleteTree(store, user, all, root);
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'GET',
      path: '/users/{username}/mailboxes/{mailboxName}',
      tag: TAG,
      summary: 'Whether a mailbox exists',
      responses: { 204: empty('It exists'), 404: error('No such user or mailbox') },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        if (!(await store.findMailboxByPath(user, toPath(params['mailboxName']!)))) throw notFound(`mailbox ${params['mailboxName']} does not exist`);
        return NO_CONTENT;
      },
    },
    {
      method: 'PUT',
      path: '/users/{username}/mailboxes/{mailboxName}',
      tag: TAG,
      summary: 'Create a mailbox (and missing parents); idempotent',
      responses: { 204: empty('Created'), 400: error('Invalid mailbox name'), 404: userNotFound },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        try {
          await store.createMailbox(user, { path: toPath(params['mailboxName']!) });
        } catch (err) {
          if (err instanceof MailboxExistsError) return NO_CONTENT;
          if (err instanceof InvalidNameError) throw invalid(err.message);
          throw err;
        }
        return NO_CONTENT;
      },
    },
    {
      method: 'DELETE',
      path: '/users/{username}/mailboxes/{mailboxName}',
      tag: TAG,
      summary: 'Delete a mailbox, its children and their mail (idempotent); INBOX cannot be deleted',
      responses: { 204: empty('Deleted'), 404: userNotFound, 409: error('INBOX cannot be deleted') },
      handle: async ({ params }) => {
        const user = await account(params['username']!);
        const target = await store.findMailboxByPath(user, toPath(params['mailboxName']!));
        if (target?.path === 'INBOX') throw conflict('INBOX cannot be deleted');
        try {
          if (target) await deleteTree(store, user, await store.listMailboxes(user), target);
        } catch (err) {
          if (err instanceof ForbiddenError) throw conflict(err.message);
          throw err;
        }
        return NO_CONTENT;
      },
    },
  ];
}
