// `tessera sessions list|revoke`: live sessions of the running server, through its admin socket
// (<dataDir>/admin.sock). Revoking ends the sessions at once (IMAP BYE, SMTP 421, JMAP push closed) and
// refuses the revoked tokens from then on.
import { loadSettingsConfig } from '../../config/load.js';
import { adminSocketPath, type AdminRequest, type AdminResponse } from '../../sessions/admin-protocol.js';
import { AdminProtocolError, AdminSocketUnavailableError, sendAdminRequest } from '../../sessions/admin-client.js';
import type { SessionSummary } from '../../sessions/types.js';
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';

const usage = `Usage: tessera sessions list [--conf DIR] [--json]
       tessera sessions revoke --user U [--reason TEXT] [--conf DIR]
       tessera sessions revoke --sid S [--reason TEXT] [--conf DIR]

Lists or ends the authenticated IMAP, SMTP and JMAP push sessions of the running server (it must run
with the same conf directory: the command talks to <dataDir>/admin.sock).
  revoke --user U   ends every session of user U; tokens issued before now are refused from now on
  revoke --sid S    ends every session of OpenID Connect session S; its tokens are refused from now on
  --reason TEXT     shown to the clients (IMAP BYE, SMTP 421); default "Session revoked by the administrator"
  --json            list as JSON, one session per line
  --conf DIR        configuration directory (default: $TESSERA_CONF, else ./conf)`;

export const sessionsCommand: CliCommand = {
  name: 'sessions',
  summary: 'list live sessions or revoke them (--user, --sid)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, {
      conf: { type: 'string' },
      user: { type: 'string' },
      sid: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const request = requestOf(args.positionals, stringOption(args, 'user'), stringOption(args, 'sid'), stringOption(args, 'reason'), args.values.json === true);
    const { config, warnings } = await loadSettingsConfig(resolveConfDir(args, io.env), { env: io.env });
    for (const w of warnings) io.stderr.write(`tessera: warning: ${w.file}: ${w.key}: ${w.message}\n`);
    let reply: AdminResponse;
    try {
      reply = await sendAdminRequest(adminSocketPath(config.settings.dataDir), request);
    } catch (err) {
      if (err instanceof AdminSocketUnavailableError || err instanceof AdminProtocolError) {
        io.stderr.write(`tessera: ${err.message}\n`);
        return EXIT_FAILURE;
      }
      throw err;
    }
    if (!reply.ok) {
      io.stderr.write(`tessera: the server refused: ${reply.error}\n`);
      return EXIT_FAILURE;
    }
    if ('sessions' in reply) {
      if (args.values.json === true) for (const s of reply.sessions) io.stdout.write(`${JSON.stringify(s)}\n`);
      else io.stdout.write(formatTable(reply.sessions));
    } else {
      const what = request.op === 'revoke' && request.user ? `user ${reply.user ?? request.user}` : `sid ${request.op === 'revoke' ? request.sid : ''}`;
      io.stderr.write(`revoked ${what}: ${reply.matched} live session${reply.matched === 1 ? '' : 's'} ended\n`);
    }
    return EXIT_OK;
  },
};

function requestOf(positionals: string[], user: string | undefined, sid: string | undefined, reason: string | undefined, json: boolean): AdminRequest {
  const [action, ...extra] = positionals;
  if (action !== 'list' && action !== 'revoke') {
    throw new UsageError(action ? `unknown sessions action "${action}"` : 'missing action (list or revoke)');
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (action === 'list') {
    if (user !== undefined || sid !== undefined || reason !== undefined) throw new UsageError('sessions list takes no --user, --sid or --reason');
    return { op: 'list' };
  }
  if (json) throw new UsageError('--json applies to sessions list only');
  if ((user === undefined) === (sid === undefined)) throw new UsageError('sessions revoke takes exactly one of --user U or --sid S');
  if (user === '' || sid === '') throw new UsageError('--user and --sid need a value');
  return { op: 'revoke', user, sid, reason };
}

function formatTable(sessions: SessionSummary[]): string {
  if (sessions.length === 0) return 'no live sessions\n';
  const rows = [['ID', 'PROTOCOL', 'USER', 'MECHANISM', 'PEER', 'STARTED', 'TOKEN EXPIRY', 'SID']];
  for (const s of sessions) {
    rows.push([s.id, s.protocol, s.user, s.mechanism, s.peer, s.startedAt, s.tokenExpiry ?? '-', s.sid ?? '-']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
