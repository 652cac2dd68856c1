// oidc-provider storage kept in a Map owned by one IdP instance. oidc-provider's own memory adapter is a
// process-wide LRU of 1,000 entries shared by every Provider; ours survives a stop/start of the same
// IdP (outage tests keep their sessions) and never mixes two IdPs in one test process.
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Stored {
  payload: AdapterPayload;
  expiresAt: number;
}

export class IdpStorage {
  readonly entries = new Map<string, Stored>();
  readonly byGrant = new Map<string, Set<string>>();

  /** An adapter class bound to this storage, for the `adapter` option. */
  adapterClass(): new (name: string) => Adapter {
    const storage = this;
    return class implements Adapter {
      constructor(private readonly model: string) {}
      private key(id: string): string {
        return `${this.model}:${id}`;
      }
      async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
        const key = this.key(id);
        storage.set(key, payload, expiresIn);
        if (typeof payload.grantId === 'string') {
          const set = storage.byGrant.get(payload.grantId) ?? new Set<string>();
          set.add(key);
          storage.byGrant.set(payload.grantId, set);
        }
        if (typeof payload.uid === 'string') storage.set(`${this.model}:uid:${payload.uid}`, { id }, expiresIn);
        if (typeof payload.userCode === 'string') storage.set(`${this.model}:userCode:${payload.userCode}`, { id }, expiresIn);
      }
      async find(id: string): Promise<AdapterPayload | undefined> {
        return storage.get(this.key(id));
      }
      async findByUid(uid: string): Promise<AdapterPayload | undefined> {
        const ref = storage.get(`${this.model}:uid:${uid}`);
        return typeof ref?.id === 'string' ? storage.get(this.key(ref.id)) : undefined;
      }
      async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
        const ref = storage.get(`${this.model}:userCode:${userCode}`);
        return typeof ref?.id === 'string' ? storage.get(this.key(ref.id)) : undefined;
      }
      async consume(id: string): Promise<void> {
        const stored = storage.entries.get(this.key(id));
        if (stored) stored.payload.consumed = Math.floor(Date.now() / 1000);
      }
      async destroy(id: string): Promise<void> {
        storage.entries.delete(this.key(id));
      }
      async revokeByGrantId(grantId: string): Promise<void> {
        for (const key of storage.byGrant.get(grantId) ?? []) storage.entries.delete(key);
        storage.byGrant.delete(grantId);
      }
    };
  }

  private writes = 0;

  private set(key: string, payload: AdapterPayload, expiresIn: number): void {
    // Expired entries are dropped when read; sweep now and then so unread ones do not pile up.
    if (++this.writes % 1000 === 0) this.sweep();
    const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.entries.set(key, { payload, expiresAt });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, stored] of this.entries) if (stored.expiresAt <= now) this.entries.delete(key);
    for (const [grantId, keys] of this.byGrant) {
      for (const key of keys) if (!this.entries.has(key)) keys.delete(key);
      if (keys.size === 0) this.byGrant.delete(grantId);
    }
  }

  private get(key: string): AdapterPayload | undefined {
    const stored = this.entries.get(key);
    if (!stored) return undefined;
    if (stored.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return stored.payload;
  }
}
