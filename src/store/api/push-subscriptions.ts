// JMAP push subscriptions (RFC 8620 §7.2), kept durably so a restart does not silently stop a
// phone's notifications. They belong to a user and to the credentials that created them (see
// `credential`), not to an account, and hold secrets (the URL and the client's keys): a destroyed
// subscription is deleted, never kept as a tombstone.

/** Which credentials created a subscription, in the terms session control revokes them by. */
export interface PushCredentialBinding {
  /** Opaque key: subscriptions are listed only to requests made with the same key. */
  credential: string;
  /** OpenID issuer, session id and subject of a token login (absent for passwords). */
  issuer?: string;
  sid?: string;
  subject?: string;
}

export interface PushSubscriptionKeys {
  /** P-256 public key, uncompressed point, URL-safe base64 (RFC 8291). */
  p256dh: string;
  /** Authentication secret, URL-safe base64 (RFC 8291). */
  auth: string;
}

export interface PushSubscriptionRecord {
  id: string;
  /** Canonical user name. */
  user: string;
  binding: PushCredentialBinding;
  deviceClientId: string;
  url: string;
  keys: PushSubscriptionKeys | null;
  /** The code the server pushed in its PushVerification object. */
  verificationCode: string;
  /** True once the client has set verificationCode to that code. */
  verified: boolean;
  expires: Date;
  /** Type names pushed; null = all. */
  types: string[] | null;
  createdAt: Date;
}

export interface PushSubscriptionChanges {
  verified?: boolean;
  expires?: Date;
  types?: string[] | null;
}

export interface PushSubscriptionStore {
  /** Every subscription (start-up), or those of one user. */
  listPushSubscriptions(user?: string): Promise<PushSubscriptionRecord[]>;
  addPushSubscription(record: PushSubscriptionRecord): Promise<void>;
  /** False when there is no such subscription. */
  updatePushSubscription(id: string, changes: PushSubscriptionChanges): Promise<boolean>;
  /** Deletes the rows (URL and keys included); returns how many existed. */
  deletePushSubscriptions(ids: readonly string[]): Promise<number>;
}
