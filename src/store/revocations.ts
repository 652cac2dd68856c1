// Token revocation registry kept by the store.

export type RevocationKind = 'sid' | 'jti' | 'sub';

export interface RevocationStore {
  revoke(kind: RevocationKind, value: string, issuer: string, expiresAt: Date): Promise<void>;
  isRevoked(kind: RevocationKind, value: string, issuer: string): Promise<boolean>;
  /** Removes entries whose expiresAt has passed. Returns how many. */
  purgeExpiredRevocations(now?: Date): Promise<number>;
}
