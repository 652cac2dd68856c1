// What the soak records: the latency of each operation kind (per minute and for the whole run),
// errors by kind with the first few messages, and counters (events received, messages sent).
export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function summarise(values: number[]): Summary {
  if (values.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** Keeps at most this many error messages per kind for the report. */
const SAMPLES_PER_KIND = 3;

export class SoakStats {
  private minute = new Map<string, number[]>();
  private readonly whole = new Map<string, number[]>();
  private minuteErrors = new Map<string, { count: number; sample: string }>();
  private readonly errorsByKind = new Map<string, { count: number; samples: string[] }>();
  private readonly counters = new Map<string, number>();

  /** Records one operation that took `ms`. */
  record(kind: string, ms: number): void {
    for (const map of [this.minute, this.whole]) {
      const list = map.get(kind);
      if (list) list.push(ms);
      else map.set(kind, [ms]);
    }
  }

  /** Times `op` as `kind`; a rejection is recorded as an error of that kind and rethrown. */
  async time<T>(kind: string, op: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const value = await op();
    this.record(kind, performance.now() - start);
    return value;
  }

  error(kind: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const entry = this.errorsByKind.get(kind) ?? { count: 0, samples: [] };
    entry.count++;
    if (entry.samples.length < SAMPLES_PER_KIND) entry.samples.push(message);
    this.errorsByKind.set(kind, entry);
    const minute = this.minuteErrors.get(kind);
    if (minute) minute.count++;
    else this.minuteErrors.set(kind, { count: 1, sample: message });
  }

  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  get totalErrors(): number {
    let n = 0;
    for (const e of this.errorsByKind.values()) n += e.count;
    return n;
  }

  /** This minute's latencies and errors (count and first message) by kind; starts the next minute. */
  takeMinute(): { ops: Map<string, Summary>; errors: Map<string, { count: number; sample: string }> } {
    const ops = new Map([...this.minute].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, summarise(v)]));
    const errors = this.minuteErrors;
    this.minute = new Map();
    this.minuteErrors = new Map();
    return { ops, errors };
  }

  wholeRun(): Map<string, Summary> {
    return new Map([...this.whole].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, summarise(v)]));
  }

  errors(): ReadonlyMap<string, { count: number; samples: string[] }> {
    return this.errorsByKind;
  }

  counterValues(): ReadonlyMap<string, number> {
    return this.counters;
  }
}

export function formatSummary(kind: string, s: Summary): string {
  const ms = (v: number): string => (Number.isNaN(v) ? '     -' : v.toFixed(1).padStart(8));
  return `  ${kind.padEnd(18)} n=${String(s.n).padStart(7)}  p50 ${ms(s.p50)} ms  p99 ${ms(s.p99)} ms  max ${ms(s.max)} ms`;
}
