// Matches a request path against the route table's James patterns (`/users/{username}`): each
// `{name}` takes one percent-decoded path segment. Literal segments win over parameters, so
// /users/{u}/mailboxes is never read as a mailbox called "mailboxes".
import type { HttpMethod, WebAdminRoute } from './types.js';

interface Compiled {
  route: WebAdminRoute;
  segments: readonly string[];
}

export type RouteMatch =
  | { kind: 'found'; route: WebAdminRoute; params: Record<string, string> }
  | { kind: 'wrongMethod'; allowed: HttpMethod[] }
  | { kind: 'none' }
  | { kind: 'badPath' };

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly WebAdminRoute[]) {
    // More literal segments first: the most specific pattern is tried before a parameter swallows it.
    this.compiled = routes
      .map((route) => ({ route, segments: route.path.split('/').slice(1) }))
      .sort((a, b) => literalScore(b.segments) - literalScore(a.segments));
  }

  match(method: string, path: string): RouteMatch {
    let segments: string[];
    try {
      segments = path.split('/').slice(1).map((s) => decodeURIComponent(s));
    } catch {
      return { kind: 'badPath' };
    }
    const allowed: HttpMethod[] = [];
    for (const c of this.compiled) {
      const params = bind(c.segments, segments);
      if (!params) continue;
      // HEAD is answered by GET's route only where no HEAD route exists (James' HEAD /users/{u}).
      if (c.route.method === method) return { kind: 'found', route: c.route, params };
      if (!allowed.includes(c.route.method)) allowed.push(c.route.method);
    }
    return allowed.length > 0 ? { kind: 'wrongMethod', allowed } : { kind: 'none' };
  }
}

function literalScore(segments: readonly string[]): number {
  return segments.reduce((n, s, i) => n + (s.startsWith('{') ? 0 : 2 ** (16 - i)), 0);
}

function bind(pattern: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith('{')) {
      if (a === '') return undefined;
      params[p.slice(1, -1)] = a;
    } else if (p !== a) return undefined;
  }
  return params;
}
