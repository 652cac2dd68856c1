// A Unix domain socket for a listener (LMTP from an MTA on this host, Postfix `lmtp:unix:`). The file
// system, not the network, decides who may connect: the socket is made mode 0660 so only its owner
// and group (the MTA's user is put in that group) can write to it. A socket file left by a crashed
// server is replaced; a live one (some process answers on it) or a file that is not a socket is
// never touched, so a mistyped path cannot delete anything.
import { chmod, lstat, unlink } from 'node:fs/promises';
import net from 'node:net';

/** Owner and group may connect (connecting needs write permission); nobody else. */
export const UNIX_SOCKET_MODE = 0o660;

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** True when a process accepts connections on the socket at `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Makes `path` free to listen on: nothing there, or a stale socket removed. Throws an errno-style error otherwise. */
export async function claimSocketPath(path: string): Promise<void> {
  let stat;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) throw errno('EEXIST', `${path} exists and is not a socket; remove it or choose another path`);
  if (await socketAnswers(path)) throw errno('EADDRINUSE', 'a process already listens on this socket');
  await unlink(path);
}

/** After listen(): the mode that decides who may connect. */
export function restrictSocket(path: string): Promise<void> {
  return chmod(path, UNIX_SOCKET_MODE);
}

/** After close(): the socket file goes too, if it is still a socket (libuv normally unlinks it already). */
export async function removeSocket(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
