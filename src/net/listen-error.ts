// Why a listener could not bind, said once and with the way out. The commonest first-run failure is
// a James conf/ (ports 25, 143, 465, 587, 993, 80) started by an ordinary user: the kernel refuses
// ports below 1024 without privilege, and "EACCES" alone does not tell the operator what to do.
import { realpathSync } from 'node:fs';
import type { BindAddress } from './types.js';

/** Below this port Linux requires privilege unless net.ipv4.ip_unprivileged_port_start says less. */
const PRIVILEGED_BELOW = 1024;

export class ListenError extends Error {
  override readonly name = 'ListenError';
  readonly code: string | undefined;

  constructor(
    readonly listener: string,
    readonly source: string,
    /** A TCP address, or the path of a Unix domain socket. */
    readonly address: BindAddress | string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`${source}: ${listener} cannot listen on ${show(address)}: ${explain(address, cause)}`, { cause });
    this.code = cause.code;
  }
}

function show(a: BindAddress | string): string {
  if (typeof a === 'string') return `unix:${a}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The node binary itself: setcap does not follow a symbolic link such as /usr/bin/node. */
function nodeBinary(): string {
  try {
    return realpathSync(process.execPath);
  } catch {
    return process.execPath;
  }
}

function explain(a: BindAddress | string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EACCES':
      if (typeof a === 'string') return 'permission denied: the user running Tessera cannot create a file in that directory';
      if (a.port > 0 && a.port < PRIVILEGED_BELOW) {
        return (
          `permission denied: ports below ${PRIVILEGED_BELOW} need root or the CAP_NET_BIND_SERVICE capability; ` +
          `grant it to Node.js with \`sudo setcap cap_net_bind_service=+ep ${nodeBinary()}\` ` +
          `(or AmbientCapabilities=CAP_NET_BIND_SERVICE in a systemd unit), ` +
          `or bind a port from ${PRIVILEGED_BELOW} up and map port ${a.port} to it (docker -p ${a.port}:<port>, or a firewall redirect)`
        );
      }
      return 'permission denied (a security policy such as SELinux or AppArmor refuses this port to this user)';
    case 'EADDRINUSE':
      if (typeof a === 'string') return 'another process listens on that socket (find it with `ss -lxp`), or another listener of this configuration';
      return 'the address is already in use: another process listens there (find it with `ss -ltnp`), or another listener of this configuration';
    case 'EADDRNOTAVAIL':
      return 'no network interface of this machine has that address; use one of its addresses, 0.0.0.0 or ::';
    default:
      return err.message;
  }
}
