// Prometheus metrics: counters, gauges and histograms with labels, written in the text exposition
// format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). Written here rather
// than taken from prom-client because it is not a dependency, and the format is a few lines.
// Neutral (src/core): every layer may count into the process-wide `metrics` registry without
// depending on who serves /metrics; it imports nothing of the project.

export type Labels = Readonly<Record<string, string>>;

/** Collectors refresh gauges right before a scrape (queue depth, process figures). */
export type Collector = () => void | Promise<void>;

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Bounded label sets: a label value from the network (a mechanism name) cannot grow memory forever. */
const MAX_SERIES = 1000;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function seriesKey(labelNames: readonly string[], labels: Labels): string {
  for (const k of Object.keys(labels)) if (!labelNames.includes(k)) throw new Error(`metric label "${k}" is not declared`);
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ''));
}

abstract class Series<T> {
  protected readonly series = new Map<string, { labels: Labels; value: T }>();
  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`invalid label name "${l}"`);
  }

  protected entry(labels: Labels, init: () => T): { labels: Labels; value: T } | undefined {
    const key = seriesKey(this.labelNames, labels);
    let e = this.series.get(key);
    if (!e) {
      if (this.series.size >= MAX_SERIES) return undefined;
      e = { labels: { ...labels }, value: init() };
      this.series.set(key, e);
    }
    return e;
  }
}

export class Counter extends Series<number> implements Metric {
  readonly type = 'counter';
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} cannot decrease`);
    const e = this.entry(labels, () => 0);
    if (e) e.value += by;
  }
  get(labels: Labels = {}): number {
    return this.series.get(seriesKey(this.labelNames, labels))?.value ?? 0;
  }
  render(): string[] {
    return [...this.series.values()].map((e) => `${this.name}${labelText(e.labels)} ${formatValue(e.value)}`);
  }
}

export class Gauge extends Series<number> implements Metric {
  readonly type = 'gauge';
  set(labels: Labels, value: number): void {
    const e = this.entry(labels, () => 0);
    if (e) e.value = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    const e = this.entry(labels, () => 0);
    if (e) e.value += by;
  }
  dec(labels: Labels = {}, by = 1): void {
    this.inc(labels, -by);
  }
  get(labels: Labels = {}): number {
    return this.series.get(seriesKey(this.labelNames, labels))?.value ?? 0;
  }
  render(): string[] {
    return [...this.series.values()].map((e) => `${this.name}${labelText(e.labels)} ${formatValue(e.value)}`);
  }
}

interface HistogramValue {
  counts: number[];
  sum: number;
  count: number;
}

/** Default buckets in seconds, for network round trips (introspection, JWKS, LDAP binds). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export class Histogram extends Series<HistogramValue> implements Metric {
  readonly type = 'histogram';
  private readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = LATENCY_BUCKETS) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(labels: Labels, value: number): void {
    const e = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    if (!e) return;
    this.buckets.forEach((b, i) => {
      if (value <= b) e.value.counts[i]! += 1;
    });
    e.value.sum += value;
    e.value.count += 1;
  }
  /** Starts a timer; the returned function records the elapsed seconds. */
  startTimer(labels: Labels = {}): (more?: Labels) => void {
    const start = process.hrtime.bigint();
    return (more = {}) => this.observe({ ...labels, ...more }, Number(process.hrtime.bigint() - start) / 1e9);
  }
  count(labels: Labels = {}): number {
    return this.series.get(seriesKey(this.labelNames, labels))?.value.count ?? 0;
  }
  render(): string[] {
    const lines: string[] = [];
    for (const { labels, value } of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText(labels, ['le', formatValue(b)])} ${value.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText(labels, ['le', '+Inf'])} ${value.count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${formatValue(value.sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${value.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors = new Set<Collector>();

  /** Declares a metric once; asking again for the same name returns the same metric. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.declare(name, () => new Counter(name, help, labelNames), Counter);
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.declare(name, () => new Gauge(name, help, labelNames), Gauge);
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.declare(name, () => new Histogram(name, help, labelNames, buckets), Histogram);
  }

  /** Runs before every scrape; returns the function that removes it (a core closing). */
  collect(collector: Collector): () => void {
    this.collectors.add(collector);
    return () => this.collectors.delete(collector);
  }

  /** The exposition text (Content-Type: text/plain; version=0.0.4). */
  async render(): Promise<string> {
    for (const c of this.collectors) await c();
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return out.join('\n') + '\n';
  }

  private declare<M extends Metric>(name: string, make: () => M, kind: abstract new (...args: never[]) => M): M {
    const existing = this.metrics.get(name);
    if (existing) {
      if (!(existing instanceof kind)) throw new Error(`metric ${name} already declared as a ${existing.type}`);
      return existing;
    }
    const m = make();
    this.metrics.set(name, m);
    return m;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The process-wide registry every core counts into and /metrics renders. */
export const metrics = new MetricsRegistry();
