// tessera.properties: what James has no file for (data directory, storage engine, log level, the
// development OpenID provider, shutdown grace, demo seeding). Environment variables override the file
// so containers can relocate data or raise logging without editing configuration.
import path from 'node:path';
import type { FileContext, ReadPolicy } from './context.js';
import { ConfigError } from './errors.js';
import { PropertiesReader } from './properties.js';
import { readControlSettings } from './control.js';
import { readAuthThrottle } from './throttle.js';
import type { JamesPostgresSettings } from './postgres.js';
import type { AuthThrottleConfig, ControlConfig, LogLevel, TesseraSettings } from './types.js';
import { InvalidValue, parseBoolean, parseEnum, parseInteger, parsePort, parseSize, parseUrl } from './values.js';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_DATA_DIR = './var';
export const DEFAULT_DEV_IDP_PORT = 8600;
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;

function parseLogLevel(raw: string): LogLevel {
  return parseEnum(raw.toLowerCase(), LOG_LEVELS);
}

/** tessera.properties: the settings proper, and the control listener's `control.http.*` keys. */
export function loadSettingsFile(
  ctx: FileContext,
  text: string | undefined,
  env: NodeJS.ProcessEnv,
  /**
   * Reads James' postgres.properties (undefined when there is none); called only with
   * storage.engine=postgres. tessera.properties storage.postgres.* win over it.
   */
  readJamesPostgres?: () => JamesPostgresSettings | undefined,
): { settings: TesseraSettings; control: ControlConfig; authThrottle: Partial<AuthThrottleConfig>; readPolicy: ReadPolicy } {
  const props = new PropertiesReader(ctx, text ?? '');
  // Relative to the working directory, like any path given on a command line.
  const dataDirRaw = env['TESSERA_DATA_DIR'] || props.get('data.dir')?.raw || DEFAULT_DATA_DIR;
  if (env['TESSERA_DATA_DIR']) props.get('data.dir');
  const dataDir = path.resolve(process.cwd(), dataDirRaw);

  const engine = props.parse('storage.engine', (raw) => parseEnum(raw, ['sqlite', 'postgres'] as const)) ?? 'sqlite';
  const pgUrl = props.parse('storage.postgres.url', (raw) => parseUrl(raw, ['postgres:', 'postgresql:']));
  const pgPool = props.parse('storage.postgres.poolSize', (raw) => parseInteger(raw, 1, 1000));
  const pgSchema = props.parse('storage.postgres.schema', (raw) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(raw)) throw new InvalidValue('a plain SQL identifier (letters, digits, _)');
    return raw;
  });
  const jamesPostgres = engine === 'postgres' ? readJamesPostgres?.() : undefined;
  const url = pgUrl ?? jamesPostgres?.url;
  if (engine === 'postgres' && url === undefined) {
    ctx.fail(
      'storage.postgres.url',
      '',
      'storage.engine=postgres needs storage.postgres.url, e.g. postgres://tessera:secret@127.0.0.1:5432/tessera (or James\' postgres.properties)',
      'missing',
    );
  }
  if (engine === 'sqlite') {
    for (const key of ['storage.postgres.url', 'storage.postgres.poolSize', 'storage.postgres.schema']) {
      if (props.get(key)) ctx.warn(key, 'ignored because storage.engine is sqlite');
    }
  }
  const schema = pgSchema ?? jamesPostgres?.schema;
  const storage: TesseraSettings['storage'] =
    engine === 'postgres' && url !== undefined
      ? { engine, url, poolSize: pgPool ?? jamesPostgres?.poolSize ?? 10, ...(schema !== undefined ? { schema } : {}) }
      : { engine: 'sqlite' };

  const ingestMemory = props.parse('storage.ingest.memory', (raw) => {
    const n = parseSize(raw);
    if (n < 1024 * 1024) throw new InvalidValue('at least 1M', 'out of range');
    return n;
  });

  let logLevel = props.parse('log.level', parseLogLevel) ?? 'info';
  const envLevel = env['TESSERA_LOG_LEVEL'];
  if (envLevel) {
    try {
      logLevel = parseLogLevel(envLevel);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      throw new ConfigError({ file: 'environment', key: 'TESSERA_LOG_LEVEL', value: envLevel, allowed: err.allowed });
    }
  }

  const devIdpPort = props.parse('devIdp.port', parsePort) ?? DEFAULT_DEV_IDP_PORT;
  // Port 0 (tests) binds a free port: without an explicit issuer, the IdP names the port it bound.
  const devIdpIssuer =
    props.parse('devIdp.issuer', (raw) => parseUrl(raw).replace(/\/+$/, '')) ?? (devIdpPort === 0 ? undefined : `http://127.0.0.1:${devIdpPort}`);
  const devIdp = {
    enabled: props.parse('devIdp.enabled', parseBoolean) ?? false,
    port: devIdpPort,
    ...(devIdpIssuer !== undefined ? { issuer: devIdpIssuer } : {}),
  };
  const shutdownTimeout = props.parse('shutdown.timeout', (raw) => parseInteger(raw, 0, 3600)) ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
  const seedDemoUser = props.parse('demo.seed', parseBoolean) ?? false;
  const postmaster = props.parse('postmaster', (raw) => {
    if (!/^[^\s@]+(@[^\s@]+)?$/.test(raw)) throw new InvalidValue('a local user name, e.g. admin@example.org');
    return raw.toLowerCase();
  });
  const control = readControlSettings(props);
  const authThrottle = readAuthThrottle(props);
  const readPolicy: ReadPolicy = { oidcRequireAudience: props.parse('auth.oidc.requireAudience', parseBoolean) ?? true };
  props.warnUnused(new Map());
  return {
    settings: { dataDir, storage, logLevel, devIdp, shutdownTimeout, seedDemoUser, ...(postmaster ? { postmaster } : {}), ...(ingestMemory !== undefined ? { ingestMemory } : {}) },
    control,
    authThrottle,
    readPolicy,
  };
}
