// The running server's local admin endpoint: a Unix domain socket <dataDir>/admin.sock, mode 0600, so
// only the account running Tessera (and root) can list or revoke sessions. `tessera sessions` talks to
// it. A socket file left by a crashed server is replaced; one that answers means another server owns
// this data directory, and starting fails rather than stealing it, except for a worker of several
// server processes (see AdminSocketOptions.takeOver).
import { chmod, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { UsersRepository } from '../auth/users/types.js';
import { AdminRequestError, MAX_ADMIN_LINE_BYTES, parseAdminRequest, type AdminRequest, type AdminResponse } from './admin-protocol.js';
import type { RevocationCriteria, SessionSummary } from './types.js';
import type { RevocationService } from './revocation.js';

export const ADMIN_REVOKE_REASON = 'Session revoked by the administrator';

export class AdminSocketInUseError extends Error {
  override readonly name = 'AdminSocketInUseError';
}

/** The socket path does not fit in a Unix socket address. */
export class AdminSocketPathError extends Error {
  override readonly name = 'AdminSocketPathError';
}

/** sockaddr_un.sun_path holds 108 bytes on Linux (104 on BSD/macOS), NUL included. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface AdminSocketOptions {
  path: string;
  revocations: RevocationService;
  logger: Logger;
  /**
   * The users repository: `revoke --user` names a user by its canonical name, and a name that is
   * neither a user nor has a live session is refused instead of being recorded for nobody.
   */
  users?: Pick<UsersRepository, 'lookup'>;
  /**
   * A worker of several server processes: the supervisor holds the data directory's lock, so a
   * socket that answers can only be the worker this one replaces on reload (SIGHUP). The path is
   * taken over (the old worker keeps its already-accepted clients and, stopping, leaves the new
   * socket file alone) instead of refusing to start.
   */
  takeOver?: boolean;
  /** What `list` answers (SessionControl.list). */
  listSessions: () => Promise<SessionSummary[]>;
  /** How many live sessions a revocation names, for its answer (SessionControl's count). */
  countSessions: (criteria: RevocationCriteria) => Promise<number>;
  /** SessionControl.endDelegated. */
  endDelegated: (user: string, actor: string, reason?: string) => Promise<number>;
}

export class AdminSocket {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /**
   * The socket file this server bound (inode and change time: a successor's file may reuse the
   * freed inode number): stop() removes the file only while it is still this one.
   */
  private bound: FileIdentity | undefined;

  constructor(private readonly options: AdminSocketOptions) {}

  async start(): Promise<void> {
    if (this.server) return;
    const { path } = this.options;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
      throw new AdminSocketPathError(
        `admin socket path ${path} is longer than Unix sockets allow (${MAX_SOCKET_PATH_BYTES} bytes): set a shorter data.dir in tessera.properties`,
      );
    }
    if (!this.options.takeOver && (await answers(path))) throw new AdminSocketInUseError(`${path} is in use: is another tessera server running with this data directory?`);
    // Bound under a name of its own, then renamed over the path (replacing a stale file or a
    // predecessor's socket): `tessera sessions` finds a socket at every moment of a reload, and the
    // name libuv removes when this server closes is that private one, never a successor's socket.
    // No longer than "admin.sock" (pids have at most 7 digits), so the length check above holds for it.
    const staging = join(dirname(path), `.a${process.pid}`);
    await unlink(staging).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // exclusive: bound by this process, not shared through a cluster primary.
      server.listen({ path: staging, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Until this chmod the socket has the umask's mode (with the usual 022, others cannot write, so
    // cannot connect); the data directory itself is created 0700.
    await chmod(staging, 0o600);
    await rename(staging, path);
    this.bound = await identify(path);
    server.unref();
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // A successor that took the path over owns the file now.
    const current = await identify(this.options.path).catch(() => undefined);
    if (current && current.ino === this.bound?.ino && current.ctimeNs === this.bound.ctimeNs) await unlink(this.options.path).catch(() => undefined);
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    let chain = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_ADMIN_LINE_BYTES && !buffered.includes('\n')) {
        socket.end(`${JSON.stringify({ ok: false, error: 'request too long' })}\n`);
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === '') continue;
        // Replies go out in request order even when a revoke is slower than a following list.
        chain = chain.then(async () => {
          const reply = await this.answer(line);
          if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`);
        });
      }
    });
  }

  /** A delegation taken back: the sessions in which `actor` acts as `user` end, on every node. */
  private async endDelegated(user: string, actor: string, reason: string | undefined): Promise<AdminResponse> {
    const { users, endDelegated } = this.options;
    // Canonical names, as the sessions' principals carry them; a name the repository lacks as given.
    const canonical = async (name: string): Promise<string> => (await users?.lookup(name))?.username ?? name;
    const [owner, delegate] = [await canonical(user), await canonical(actor)];
    return { ok: true, matched: await endDelegated(owner, delegate, reason), user: owner };
  }

  private async answer(line: string): Promise<AdminResponse> {
    let request: AdminRequest;
    try {
      request = parseAdminRequest(line);
    } catch (err) {
      return { ok: false, error: err instanceof AdminRequestError ? err.message : 'bad request' };
    }
    const { revocations, logger } = this.options;
    try {
      if (request.op === 'list') return { ok: true, sessions: await this.options.listSessions() };
      if (request.actor !== undefined && request.user !== undefined) return await this.endDelegated(request.user, request.actor, request.reason);
      const criteria = { user: request.user, sid: request.sid, credential: request.credential };
      let unknownUser = false;
      if (request.user !== undefined && this.options.users) {
        const record = await this.options.users.lookup(request.user);
        if (record) criteria.user = record.username;
        else unknownUser = true;
      }
      // Counted once: with several server processes, a question to every worker.
      const matched = await this.options.countSessions(criteria);
      if (unknownUser && matched === 0) {
        return { ok: false, error: `no such user: ${request.user} (and no live session of that name); nothing was revoked` };
      }
      // No expiresAt: the tokens of a user or OP session are not all connected here, so the revocation
      // is kept for the configured retention (the longest token lifetime).
      await revocations.revoke({ ...criteria, reason: request.reason ?? ADMIN_REVOKE_REASON });
      logger.info({ user: criteria.user, sid: request.sid, credential: request.credential, matched }, 'sessions revoked from the admin socket');
      return criteria.user === undefined ? { ok: true, matched } : { ok: true, matched, user: criteria.user };
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'admin request failed');
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }
}

interface FileIdentity {
  ino: bigint;
  ctimeNs: bigint;
}

async function identify(path: string): Promise<FileIdentity> {
  const { ino, ctimeNs } = await stat(path, { bigint: true });
  return { ino, ctimeNs };
}

/** Whether something listens on the socket path (a live server), as opposed to a stale file. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
