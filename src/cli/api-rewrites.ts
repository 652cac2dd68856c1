// Aliases and forwards for `tessera alias` and `tessera forward`, behind one interface: through a
// running server's WebAdmin (James' /address/aliases and /address/forwards) or on users.sqlite, with
// the same checks either way (the server's, or src/auth/rewrite/manage.ts on the database).
import { addAlias, addForward, canonicalAddress, RewriteRequestError, type RewriteDirectory } from '../auth/rewrite/manage.js';
import type { RewriteMapping } from '../auth/rewrite/types.js';
import { messageOf, type ApiAnswer, type WebAdminClient } from './webadmin-client.js';

export type RewriteCliKind = 'alias' | 'forward';

/** Mappings as the commands print them: source → target (alias → user, user → destination). */
export interface RewriteOps {
  add(source: string, target: string): Promise<void>;
  remove(source: string, target: string): Promise<void>;
  /** Every mapping, or those of one user (an alias's user; a forward's user). */
  list(user?: string): Promise<RewriteMapping[]>;
}

export function rewritesOnDatabase(kind: RewriteCliKind, dir: RewriteDirectory): RewriteOps {
  return {
    add: (source, target) => {
      const [s, t] = [canonicalAddress(source), canonicalAddress(target)];
      return kind === 'alias' ? addAlias(dir, t, s) : addForward(dir, s, t);
    },
    remove: (source, target) => dir.rewrites.remove(kind, canonicalAddress(source), canonicalAddress(target)),
    list: async (user) => {
      if (user === undefined) return dir.rewrites.list(kind);
      const u = canonicalAddress(user);
      return kind === 'alias'
        ? (await dir.rewrites.sourcesOf('alias', u)).map((source) => ({ source, target: u }))
        : (await dir.rewrites.targetsOf('forward', u)).map((target) => ({ source: u, target }));
    },
  };
}

const enc = encodeURIComponent;
const PLURAL: Record<RewriteCliKind, string> = { alias: 'aliases', forward: 'forwards' };

export function rewritesThroughApi(kind: RewriteCliKind, api: WebAdminClient): RewriteOps {
  // James' paths: /address/aliases/{user}/sources/{alias}, /address/forwards/{user}/targets/{destination}.
  const path = (source: string, target: string): string =>
    kind === 'alias' ? `/address/aliases/${enc(target)}/sources/${enc(source)}` : `/address/forwards/${enc(source)}/targets/${enc(target)}`;
  const change = async (method: 'PUT' | 'DELETE', source: string, target: string): Promise<void> => {
    const answer = await api.request(method, path(source, target));
    if (answer.status !== 204) throw refusal(api, `${method === 'PUT' ? 'adding' : 'removing'} the ${kind}`, answer);
  };
  const ofUser = async (user: string): Promise<RewriteMapping[]> => {
    const answer = await api.request('GET', `/address/${PLURAL[kind]}/${enc(user)}`);
    // James answers 404 for a user without a forward: nothing to list.
    if (kind === 'forward' && answer.status === 404) return [];
    if (answer.status !== 200) throw refusal(api, `listing the ${PLURAL[kind]} of ${user}`, answer);
    return kind === 'alias'
      ? (answer.body as Array<{ source: string }>).map(({ source }) => ({ source, target: user }))
      : (answer.body as Array<{ mailAddress: string }>).map(({ mailAddress }) => ({ source: user, target: mailAddress }));
  };
  return {
    add: (source, target) => change('PUT', source, target),
    remove: (source, target) => change('DELETE', source, target),
    list: async (user) => {
      if (user !== undefined) return ofUser(user);
      const answer = await api.request('GET', `/address/${PLURAL[kind]}`);
      if (answer.status !== 200) throw refusal(api, `listing the ${PLURAL[kind]}`, answer);
      const mappings: RewriteMapping[] = [];
      for (const u of answer.body as string[]) mappings.push(...(await ofUser(u)));
      return mappings;
    },
  };
}

/** The server's 400/404 as the same error the database path throws; anything else as unexpected. */
function refusal(api: WebAdminClient, what: string, answer: ApiAnswer): Error {
  if (answer.status === 400) return new RewriteRequestError('invalid', messageOf(answer.body));
  if (answer.status === 404) return new RewriteRequestError('notFound', messageOf(answer.body));
  return api.unexpected(what, answer);
}
