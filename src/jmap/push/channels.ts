// Long-lived JMAP connections (EventSource streams, WebSockets) outlive the request that
// authenticated them, so each is admitted to session control when it opens: session control refuses
// a revoked token, and ends the channel later on back-channel logout, re-introspection saying
// inactive, token expiry (tokenExpiry policy) or an administrator's revoke. The server also keeps
// them here to close them all on shutdown.
import type { Principal } from '../../auth/types.js';
import type { AuthConfig, TokenExpiryPolicy } from '../../config/types.js';
import type { SessionAdmission, SessionHandle } from '../../core/sessions.js';

export interface PushChannelsOptions {
  sessions: SessionAdmission;
  /** JMAP's auth settings (their oidc block drives re-introspection). */
  auth: AuthConfig;
  tokenExpiry: TokenExpiryPolicy;
}

/** One admitted push channel. */
export class PushChannel {
  private closer: ((reason: string) => void) | undefined;
  private endedWith: string | undefined;
  private released = false;
  handle: SessionHandle | undefined;

  constructor(private readonly onRelease: (channel: PushChannel) => void) {}

  get ended(): boolean {
    return this.endedWith !== undefined || this.released;
  }

  /**
   * Hands over how to close the transport once it is set up; if the channel was ended meanwhile it is
   * closed at once. Returns release(), for when the transport closes on its own.
   */
  attach(close: (reason: string) => void): () => void {
    if (this.endedWith !== undefined) close(this.endedWith);
    else this.closer = close;
    return () => this.release();
  }

  /** Closes the transport (session control's terminate, or shutdown) and forgets the channel. */
  end(reason: string): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = reason;
    const close = this.closer;
    this.closer = undefined;
    this.release();
    close?.(reason);
  }

  /** The transport closed: unregister from session control. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.handle?.unregister();
    this.onRelease(this);
  }
}

export class PushChannels {
  private readonly open = new Set<PushChannel>();

  constructor(private readonly options: PushChannelsOptions) {}

  /** Admits a channel about to open; undefined = the principal is revoked (answer 401). */
  async admit(principal: Principal, peer: string): Promise<PushChannel | undefined> {
    const channel = new PushChannel((c) => this.open.delete(c));
    const handle = await this.options.sessions.admit({
      protocol: 'jmap',
      principal,
      peer,
      auth: this.options.auth,
      tokenExpiry: this.options.tokenExpiry,
      terminate: (reason) => channel.end(reason),
    });
    if (!handle) return undefined;
    channel.handle = handle;
    if (channel.ended) {
      // Revoked while the check ran: the registry already let it go.
      handle.unregister();
      return undefined;
    }
    this.open.add(channel);
    return channel;
  }

  closeAll(reason: string): void {
    for (const channel of [...this.open]) channel.end(reason);
  }

  get size(): number {
    return this.open.size;
  }
}
