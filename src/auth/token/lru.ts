// A small LRU map with per-entry expiry: validation results must never outlive the token's `exp`,
// and a flood of distinct tokens must not grow memory past `maxEntries`.

interface Slot<V> {
  value: V;
  expiresAt: number;
}

export class ExpiringLru<V> {
  private readonly map = new Map<string, Slot<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const slot = this.map.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    // Move to the most-recently-used end.
    this.map.delete(key);
    this.map.set(key, slot);
    return slot.value;
  }

  set(key: string, value: V, expiresAt: number): void {
    if (this.maxEntries <= 0 || expiresAt <= this.now()) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAt });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value;
      if (oldest === undefined) break;
      this.map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
