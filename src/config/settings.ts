// tessera.properties: what James has no file for (data directory, storage engine, log level, the
// development OpenID provider, shutdown grace, demo seeding). Environment variables override the file
// so containers can relocate data or raise logging without editing configuration.
import os from 'node:os';
import path from 'node:path';
import type { FileContext, ReadPolicy } from './context.js';
import { ConfigError } from './errors.js';
import { PropertiesReader } from './properties.js';
import { readControlSettings } from './control.js';
import { readAuthThrottle } from './throttle.js';
import { readDiscoverySettings } from './discovery.js';
import { readMailAuthSettings, type MailAuthSettings } from './mailauth.js';
import type { AuthThrottleConfig, ControlConfig, DiscoveryConfig, LogLevel, TesseraSettings } from './types.js';
import { InvalidValue, parseBoolean, parseCidrList, parseEnum, parseInteger, parseJamesDuration, parsePort, parseSize, parseUrl } from './values.js';
import type { JamesPostgresSettings } from './postgres.js';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const DEFAULT_DATA_DIR = './var';
export const DEFAULT_DEV_IDP_PORT = 8600;
export const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS = 10;
/** PROXY protocol header deadline: the spec asks receivers to allow at least 3 s (a TCP retransmit). */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5000;

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
): {
  settings: TesseraSettings;
  control: ControlConfig;
  authThrottle: Partial<AuthThrottleConfig>;
  mailAuth: MailAuthSettings;
  discovery: DiscoveryConfig;
  readPolicy: ReadPolicy;
} {
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
  const processes = props.parse('server.processes', parseProcesses) ?? 1;
  const proxy = {
    trustedNetworks: props.parse('proxy.trustedNetworks', parseCidrList) ?? [],
    headerTimeoutMs:
      props.parse('proxy.headerTimeout', (raw) => {
        const ms = parseJamesDuration(raw, 's');
        if (ms < 100 || ms > 60_000) throw new InvalidValue('between 100ms and 60s (the spec asks for at least 3s)', 'out of range');
        return ms;
      }) ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  };
  const postmaster = props.parse('postmaster', (raw) => {
    if (!/^[^\s@]+(@[^\s@]+)?$/.test(raw)) throw new InvalidValue('a local user name, e.g. admin@example.org');
    return raw.toLowerCase();
  });
  const vacationResendAfterMs = props.parse('vacation.resendInterval', (raw) => {
    const ms = parseJamesDuration(raw, 's');
    if (ms < 60_000) throw new InvalidValue('at least 1m (RFC 3834 §2: replies to one sender are spaced by days)', 'out of range');
    return ms;
  });
  const ldapCacheTtlMs = props.parse('ldap.cacheTtl', (raw) => parseJamesDuration(raw, 's'));
  const delayWarningMs = props.parse('outbound.delayWarning', (raw) => parseJamesDuration(raw, 's'));
  const outboundLeaseMs = props.parse('outbound.leaseTime', (raw) => {
    const ms = parseJamesDuration(raw, 's');
    if (ms < 1000 || ms > 3_600_000) throw new InvalidValue('between 1s and 1h (e.g. 60s)', 'out of range');
    return ms;
  });
  const outboundPollMs = props.parse('outbound.pollInterval', (raw) => {
    const ms = parseJamesDuration(raw, 's');
    if (ms < 100 || ms > 3_600_000) throw new InvalidValue('between 100ms and 1h (e.g. 30s)', 'out of range');
    return ms;
  });
  const control = readControlSettings(props);
  const authThrottle = readAuthThrottle(props);
  const mailAuth = readMailAuthSettings(props);
  const discovery = readDiscoverySettings(props);
  const readPolicy: ReadPolicy = { oidcRequireAudience: props.parse('auth.oidc.requireAudience', parseBoolean) ?? true };
  const sieve = readSieveQuota(props);
  props.warnUnused(new Map());
  return {
    settings: {
      dataDir,
      storage,
      logLevel,
      devIdp,
      shutdownTimeout,
      proxy,
      seedDemoUser,
      processes,
      sieve,
      ...(postmaster ? { postmaster } : {}),
      ...(ingestMemory !== undefined ? { ingestMemory } : {}),
      ...(vacationResendAfterMs !== undefined ? { vacationResendAfterMs } : {}),
      ...(ldapCacheTtlMs !== undefined ? { ldapCacheTtlMs } : {}),
      ...(delayWarningMs !== undefined ? { delayWarningMs } : {}),
      ...(outboundLeaseMs !== undefined ? { outboundLeaseMs } : {}),
      ...(outboundPollMs !== undefined ? { outboundPollMs } : {}),
    },
    control,
    authThrottle,
    mailAuth,
    discovery,
    readPolicy,
  };
}

/** Most server processes `server.processes` may ask for: more than the machine's cores only adds switching. */
export const MAX_PROCESSES = 64;

/** `server.processes`: a count, or `auto` for one process per core the machine offers. */
function parseProcesses(raw: string): number {
  if (raw.toLowerCase() === 'auto') return Math.min(MAX_PROCESSES, Math.max(1, os.availableParallelism()));
  try {
    return parseInteger(raw, 1, MAX_PROCESSES);
  } catch (err) {
    if (!(err instanceof InvalidValue)) throw err;
    throw new InvalidValue(`auto or a whole number from 1 to ${MAX_PROCESSES}`, err.problem);
  }
}

/** Scripts per account when `sieve.maxScripts` is not set (Dovecot and Cyrus leave it unlimited). */
export const DEFAULT_SIEVE_MAX_SCRIPTS = 100;
/**
 * The largest script the Sieve interpreter compiles (src/sieve DEFAULT_MAX_SCRIPT_SIZE; config imports
 * nothing of it, so the figure is repeated here and checked equal by test/config/settings tests).
 */
export const SIEVE_INTERPRETER_MAX_SCRIPT_SIZE = 256 * 1024;

function readSieveQuota(props: PropertiesReader): TesseraSettings['sieve'] {
  const maxScripts = props.parse('sieve.maxScripts', (raw) => parseInteger(raw, 0)) ?? DEFAULT_SIEVE_MAX_SCRIPTS;
  const maxScriptSize =
    props.parse('sieve.maxScriptSize', (raw) => {
      const n = parseSize(raw);
      if (n < 1 || n > SIEVE_INTERPRETER_MAX_SCRIPT_SIZE) throw new InvalidValue(`between 1 and ${SIEVE_INTERPRETER_MAX_SCRIPT_SIZE / 1024}K (the interpreter's bound)`, 'out of range');
      return n;
    }) ?? SIEVE_INTERPRETER_MAX_SCRIPT_SIZE;
  return { maxScripts, maxScriptSize };
}
