// James' postgres.properties (the PostgreSQL app's database settings), mapped onto Tessera's
// PostgreSQL store settings: host, port, database name, user and password become a connection URL,
// database.schema the schema the store's tables live in, pool.max.size the pool size. Read only with
// storage.engine=postgres; tessera.properties storage.postgres.* win over it.
import type { FileContext } from './context.js';
import { PropertiesReader } from './properties.js';
import { parseEnum, parseInteger, parsePort } from './values.js';

export interface JamesPostgresSettings {
  url: string;
  schema?: string;
  poolSize?: number;
}

/** James keys that have no Tessera equivalent, with why. */
const IGNORED: ReadonlyMap<string, string> = new Map([
  ['row.level.security.enabled', 'each Tessera account is isolated by the store itself'],
  ['database.by-pass-rls.username', 'no row level security'],
  ['database.by-pass-rls.password', 'no row level security'],
  ['by-pass-rls.pool.initial.size', 'no row level security'],
  ['by-pass-rls.pool.max.size', 'no row level security'],
  ['pool.initial.size', 'connections are opened on demand up to pool.max.size'],
  ['jooq.reactive.timeout', 'a jOOQ setting'],
]);

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function loadJamesPostgresFile(ctx: FileContext, text: string): JamesPostgresSettings {
  const props = new PropertiesReader(ctx, text);
  const host = props.get('database.host')?.raw ?? 'localhost';
  const port = props.parse('database.port', parsePort) ?? 5432;
  const name = props.get('database.name')?.raw ?? 'postgres';
  const user = props.get('database.username')?.raw;
  if (user === undefined) ctx.fail('database.username', '', 'the user Tessera connects as, e.g. database.username=tessera', 'missing');
  const password = props.get('database.password')?.raw;
  const schema = props.get('database.schema')?.raw;
  if (schema !== undefined && !IDENTIFIER.test(schema)) ctx.fail('database.schema', schema, 'a plain SQL identifier (letters, digits, _)');
  const poolSize = props.parse('pool.max.size', (raw) => parseInteger(raw, 1, 1000));
  const sslMode = props.parse('ssl.mode', (raw) => parseEnum(raw, SSL_MODES));
  props.warnUnused(IGNORED);

  const url = new URL('postgres://localhost');
  url.hostname = host;
  url.port = String(port);
  url.pathname = `/${encodeURIComponent(name)}`;
  url.username = encodeURIComponent(user);
  if (password !== undefined) url.password = encodeURIComponent(password);
  // node-postgres knows disable/prefer/require/verify-*; James' default "allow" tries without TLS first.
  if (sslMode !== undefined && sslMode !== 'allow' && sslMode !== 'prefer') url.searchParams.set('sslmode', sslMode);
  return { url: url.toString(), ...(schema !== undefined && schema !== 'public' ? { schema } : {}), ...(poolSize !== undefined ? { poolSize } : {}) };
}
