// Long-lived JMAP connections (EventSource streams, WebSockets) outlive the request that
// authenticated them, so they are registered here with their principal and closed when that
// principal's session is revoked (back-channel logout, token revocation, password change) or,
// with tokenExpiry = disconnect, when the access token expires.
import type { Principal } from '../../auth/types.js';
import type { TokenExpiryPolicy } from '../../config/types.js';
import type { SessionRevokedEvent } from '../../events/types.js';

interface Live {
  principal: Principal;
  close: (reason: string) => void;
  timer?: NodeJS.Timeout;
}

export function revokes(event: SessionRevokedEvent, p: Principal): boolean {
  if (event.issuer !== undefined && p.issuer !== undefined && event.issuer !== p.issuer) return false;
  if (event.sid !== undefined) return p.sid === event.sid;
  if (event.jti !== undefined) return p.jti === event.jti;
  return event.user !== undefined && event.user.toLowerCase() === p.user.toLowerCase();
}

export class LiveSessions {
  private readonly live = new Set<Live>();

  constructor(private readonly expiry: TokenExpiryPolicy, private readonly now: () => number = Date.now) {}

  /** Registers a connection; returns the function that unregisters it (call it when it ends). */
  add(principal: Principal, close: (reason: string) => void): () => void {
    const entry: Live = { principal, close };
    if (this.expiry.action === 'disconnect' && principal.tokenExpiry !== undefined) {
      const ms = principal.tokenExpiry.getTime() + this.expiry.graceSeconds * 1000 - this.now();
      entry.timer = setTimeout(() => this.end(entry, 'access token expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      entry.timer.unref();
    }
    this.live.add(entry);
    return () => {
      if (entry.timer) clearTimeout(entry.timer);
      this.live.delete(entry);
    };
  }

  revoke(event: SessionRevokedEvent): number {
    let n = 0;
    for (const entry of [...this.live]) {
      if (revokes(event, entry.principal)) {
        this.end(entry, event.reason);
        n++;
      }
    }
    return n;
  }

  closeAll(reason: string): void {
    for (const entry of [...this.live]) this.end(entry, reason);
  }

  get size(): number {
    return this.live.size;
  }

  private end(entry: Live, reason: string): void {
    if (entry.timer) clearTimeout(entry.timer);
    this.live.delete(entry);
    entry.close(reason);
  }
}
