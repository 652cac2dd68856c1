// A small bounded cache with a time-to-live, for user lookups: token logins ask "does this user
// exist" on every connection, and a directory round-trip per login is wasted work. The TTL keeps a
// deleted or disabled LDAP user from lingering; the bound keeps a flood of made-up names from
// growing memory.

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && this.maxEntries > 0;
  }

  /** The cached value, or undefined when absent or expired. */
  get(key: string): { value: V } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { value: hit.value };
  }

  set(key: string, value: V): void {
    if (!this.enabled) return;
    this.entries.delete(key);
    // Map keeps insertion order: the first key is the oldest write, evicted first.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expires: this.now() + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
