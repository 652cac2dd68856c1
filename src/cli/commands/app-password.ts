// `tessera app-password create|list|revoke`: a user's app passwords, in users.sqlite (whatever holds
// the users: the embedded repository or LDAP, whose users are looked up in the directory). Revoking
// also asks a running server, through its admin socket, to end the sessions the password opened.
import { loadDirectoryConfig } from '../../config/load.js';
import { silentLogger } from '../../log/logger.js';
import { openUsers } from '../../server/users.js';
import { AppPasswordService } from '../../auth/app-passwords/service.js';
import { appPasswordToJson } from '../../auth/app-passwords/json.js';
import { AppPasswordRequestError, parseScopes, type AppPasswordRecord, type CreatedAppPassword, type NewAppPassword } from '../../auth/app-passwords/types.js';
import { adminSocketPath } from '../../sessions/admin-protocol.js';
import { AdminProtocolError, AdminSocketUnavailableError, sendAdminRequest } from '../../sessions/admin-client.js';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { createThroughApi, listThroughApi, revokeThroughApi } from '../api-app-passwords.js';
import { findWebAdmin } from '../webadmin-client.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const usage = `Usage: tessera app-password create USER --name NAME [--expires WHEN] [--scope PROTOCOLS] [--conf DIR]
       tessera app-password list USER [--json] [--conf DIR]
       tessera app-password revoke USER ID [--conf DIR]

App passwords let a mail client that cannot do OAuth log in with PLAIN/LOGIN (IMAP, SMTP, POP3, JMAP
Basic) without the user's own password, which may live in LDAP or at the OpenID provider.
  create      prints the new password on standard output; it is shown this once and only its hash is kept
  --name      what it is for ("Phone", "Thunderbird at home")
  --expires   an ISO 8601 date/time (2027-01-31, 2027-01-31T18:00:00Z) or a duration (90d, 12h)
  --scope     the protocols it opens, comma-separated: imap, smtp, pop3, managesieve, jmap (default: all)
  list        id, name, scope, creation, expiry and last use (time and address)
  revoke      deletes it and ends its live sessions on the running server at once
With a server running and WebAdmin enabled in webadmin.properties, the command goes through its API
(token: $TESSERA_WEBADMIN_TOKEN or the file $TESSERA_WEBADMIN_TOKEN_FILE).
  --conf DIR  configuration directory (default: $TESSERA_CONF, else ./conf)`;

const ACTIONS = ['create', 'list', 'revoke'] as const;

export const appPasswordCommand: CliCommand = {
  name: 'app-password',
  summary: 'create, list or revoke a user’s app passwords',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, {
      conf: { type: 'string' },
      name: { type: 'string' },
      expires: { type: 'string' },
      scope: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [action, user, ...rest] = args.positionals;
    if (!action || !(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(action ? `unknown app-password action "${action}"` : 'missing action (create, list or revoke)');
    }
    if (user === undefined) throw new UsageError(`app-password ${action} needs a user name`);
    const wantsId = action === 'revoke';
    if (wantsId ? rest.length !== 1 : rest.length !== 0) throw new UsageError(wantsId ? 'app-password revoke takes USER and ID' : `unexpected argument "${rest[0]}"`);
    const name = stringOption(args, 'name');
    const expires = stringOption(args, 'expires');
    const scope = stringOption(args, 'scope');
    if (action !== 'create' && (name !== undefined || expires !== undefined || scope !== undefined)) {
      throw new UsageError('--name, --expires and --scope apply to app-password create only');
    }
    if (action !== 'list' && args.values.json === true) throw new UsageError('--json applies to app-password list only');
    if (action === 'create' && name === undefined) throw new UsageError('app-password create needs --name');
    const request =
      action === 'create'
        ? { name: name!, ...(expires !== undefined ? { expiresAt: parseExpiry(expires, Date.now()) } : {}), scopes: scope === undefined ? [] : scopesOf(scope) }
        : undefined;

    const wanted: Wanted = { action: action as Action, user, id: rest[0], request, json: args.values.json === true };
    const confDir = resolveConfDir(args, io.env);
    const api = await findWebAdmin(confDir, io);
    if (api) {
      const via = ` (through WebAdmin at ${api.baseUrl})`;
      return perform(wanted, io, {
        via,
        create: (u, r) => createThroughApi(api, u, r),
        list: (u) => listThroughApi(api, u),
        revoke: (u, id) => revokeThroughApi(api, u, id),
        // The server's own service revoked it: its listeners ended the sessions there.
        afterRevoke: async () => {
          io.stderr.write('the server ended its live sessions\n');
          return EXIT_OK;
        },
      });
    }
    const { config, warnings } = await loadDirectoryConfig(confDir, { env: io.env });
    for (const w of warnings) io.stderr.write(`tessera: warning: ${w.file}: ${w.key}: ${w.message}\n`);
    const opened = await openUsers(config, silentLogger());
    try {
      const service = new AppPasswordService({ store: opened.embedded.appPasswords, users: opened.users });
      return await perform(wanted, io, {
        via: '',
        create: (u, r) => service.create(u, r),
        list: (u) => service.list(u),
        revoke: (u, id) => service.revoke(u, id),
        afterRevoke: (revoked) => endLiveSessions(adminSocketPath(config.settings.dataDir), revoked, io),
      });
    } finally {
      await opened.close();
    }
  },
};

type Action = (typeof ACTIONS)[number];

/** What the command line asks for, checked. */
interface Wanted {
  action: Action;
  user: string;
  /** revoke: the app password's id. */
  id: string | undefined;
  /** create: the new password. */
  request: NewAppPassword | undefined;
  json: boolean;
}

/** Where the command's actions are carried out: the running server's WebAdmin, or users.sqlite. */
interface AppPasswordOps {
  /** Appended to confirmation lines: " (through WebAdmin at …)" or nothing. */
  via: string;
  create(user: string, request: NewAppPassword): Promise<CreatedAppPassword>;
  list(user: string): Promise<AppPasswordRecord[]>;
  revoke(user: string, id: string): Promise<AppPasswordRecord | undefined>;
  /** Ends the revoked password's live sessions (or says who did); the exit code. */
  afterRevoke(record: AppPasswordRecord): Promise<number>;
}

async function perform({ action, user, id, request, json }: Wanted, io: CliIO, ops: AppPasswordOps): Promise<number> {
  if (action === 'create') {
    try {
      const { record, secret } = await ops.create(user, request!);
      io.stdout.write(`${secret}\n`);
      io.stderr.write(`created app password ${record.id} "${record.name}" for ${record.user} (${describeLimits(record)})${ops.via}; it is shown only this once\n`);
      return EXIT_OK;
    } catch (err) {
      if (err instanceof AppPasswordRequestError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (action === 'list') {
    const records = await ops.list(user);
    if (json) for (const r of records) io.stdout.write(`${JSON.stringify(appPasswordToJson(r))}\n`);
    else io.stdout.write(formatTable(records));
    return EXIT_OK;
  }
  const revoked = await ops.revoke(user, id!);
  if (!revoked) {
    io.stderr.write(`tessera: ${user} has no app password ${id}\n`);
    return EXIT_FAILURE;
  }
  io.stderr.write(`revoked app password ${revoked.id} "${revoked.name}" of ${revoked.user}${ops.via}\n`);
  return ops.afterRevoke(revoked);
}

/** Asks a running server to end the sessions the revoked password opened; none running = none live. */
async function endLiveSessions(socket: string, record: AppPasswordRecord, io: CliIO): Promise<number> {
  try {
    const reply = await sendAdminRequest(socket, { op: 'revoke', credential: record.id, reason: 'App password revoked' });
    if (!reply.ok) {
      io.stderr.write(`tessera: the server refused to end the sessions: ${reply.error}\n`);
      return EXIT_FAILURE;
    }
    if ('matched' in reply) io.stderr.write(`${reply.matched} live session${reply.matched === 1 ? '' : 's'} ended\n`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof AdminSocketUnavailableError) {
      io.stderr.write(`no live sessions ended: ${err.message}\n`);
      return EXIT_OK;
    }
    if (err instanceof AdminProtocolError) {
      io.stderr.write(`tessera: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

function scopesOf(text: string): ReturnType<typeof parseScopes> {
  try {
    return parseScopes(text);
  } catch (err) {
    if (err instanceof AppPasswordRequestError) throw new UsageError(`--scope: ${err.message}`);
    throw err;
  }
}

/** An ISO 8601 date/time, or a duration from now: `90d`, `12h`, `30m`. */
export function parseExpiry(text: string, now: number): Date {
  const duration = /^(\d{1,5})([dhm])$/.exec(text);
  if (duration) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[duration[2] as 'd' | 'h' | 'm'];
    return new Date(now + Number(duration[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new UsageError(`--expires: "${text}" is neither an ISO 8601 date/time (2027-01-31T18:00:00Z) nor a duration (90d, 12h, 30m)`);
}

function describeLimits(r: AppPasswordRecord): string {
  const scope = r.scopes.length === 0 ? 'all protocols' : r.scopes.join(', ');
  return `${scope}; ${r.expiresAt ? `expires ${r.expiresAt.toISOString()}` : 'no expiry'}`;
}

function formatTable(records: readonly AppPasswordRecord[]): string {
  if (records.length === 0) return 'no app passwords\n';
  const rows = [['ID', 'NAME', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED', 'FROM']];
  for (const r of records) {
    rows.push([
      r.id,
      r.name,
      r.scopes.length === 0 ? 'all' : r.scopes.join(','),
      r.createdAt.toISOString(),
      r.expiresAt?.toISOString() ?? '-',
      r.lastUsedAt?.toISOString() ?? 'never',
      r.lastUsedIp ?? '-',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
