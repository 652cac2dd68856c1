// The WebAdmin route contract: every route is data (method, James path pattern, what it accepts and
// answers) plus a handler returning a reply, so one table drives dispatch and the OpenAPI document
// alike (./openapi.ts) and a route cannot answer what its description does not say (./server.ts).
import type { JsonValue } from '../store/types.js';

/** A JSON Schema (OpenAPI 3.1 dialect), kept as plain data. */
export type Schema = { readonly [key: string]: JsonValue | Schema | readonly Schema[] };

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD' | 'PATCH';

export interface QueryParam {
  name: string;
  description: string;
  schema: Schema;
}

export interface ResponseSpec {
  description: string;
  /** JSON body schema; absent = no body (204, HEAD). */
  schema?: Schema;
}

export interface WebAdminRequest {
  /** Path parameters, percent-decoded, by the names in the route's `{braces}`. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The parsed JSON body (routes with `body` only). */
  body: unknown;
  /** Who called: the token's subject (JWT) or administrator (OIDC); "anonymous" on loopback without authentication. */
  admin: string;
}

export interface Reply {
  status: number;
  body?: JsonValue;
}

export interface WebAdminRoute {
  readonly method: HttpMethod;
  /** James' path with `{name}` parameters, e.g. /users/{username}/mailboxes/{mailboxName}. */
  readonly path: string;
  /** The route group (OpenAPI tag): Domains, Users, Quotas… */
  readonly tag: string;
  readonly summary: string;
  /** Served without a token (the API description itself). */
  readonly public?: boolean;
  readonly query?: readonly QueryParam[];
  /** Request body: a JSON document of this schema, required. */
  readonly body?: Schema;
  /** Every status the handler may answer, besides the ones the server adds (400, 401, 403, 500). */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  handle(req: WebAdminRequest): Promise<Reply>;
}

/** A refusal answered in James' error shape: {statusCode, type, message, details}. */
export class WebAdminError extends Error {
  override readonly name = 'WebAdminError';
  constructor(
    readonly status: number,
    readonly type: 'InvalidArgument' | 'notFound' | 'WrongState' | 'Unauthorized' | 'Forbidden' | 'ServerError',
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string): WebAdminError => new WebAdminError(400, 'InvalidArgument', message);
export const notFound = (message: string): WebAdminError => new WebAdminError(404, 'notFound', message);
export const conflict = (message: string): WebAdminError => new WebAdminError(409, 'WrongState', message);

export const NO_CONTENT: Reply = { status: 204 };

/** A record as JSON: members that are undefined are left out, as JSON.stringify does. */
export function jsonOf(value: object): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
