// Prometheus metrics on prom-client (the library keeps the series and writes the text exposition
// format 0.0.4). This thin layer adds what Tessera needs on top: one declaration per name shared by
// every core (declaring again returns the same metric), a bound on the series of each metric (a
// label value that comes from the network, such as a SASL mechanism name, cannot grow memory
// forever), and collectors that refresh gauges right before a scrape.
// Neutral (src/core): every layer may count into the process-wide `metrics` registry without
// depending on who serves /metrics; it imports nothing of the project.
import { AggregatorRegistry, Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type Labels = Readonly<Record<string, string>>;

/** Collectors refresh gauges right before a scrape (queue depth, process figures). */
export type Collector = () => void | Promise<void>;

type MetricType = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Bounded label sets: past this many series a metric drops new ones rather than grow. */
const MAX_SERIES = 1000;

/** Default buckets in seconds, for network round trips (introspection, JWKS, LDAP binds). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

abstract class Bounded {
  abstract readonly type: MetricType;
  /** The prom-client metric holding the series (registered on the registry's Registry). */
  abstract readonly prom: PromCounter | PromGauge | PromHistogram;
  private readonly seen = new Set<string>();
  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`invalid label name "${l}"`);
  }

  /** The labels prom-client is given (every declared name, "" when absent), or undefined past the bound. */
  protected admit(labels: Labels): Record<string, string> | undefined {
    // Runs for every count and timing (tens per IMAP login): one pass, no JSON, no intermediate array.
    const full: Record<string, string> = {};
    let key = '';
    let found = 0;
    for (const n of this.labelNames) {
      const value = labels[n];
      if (value !== undefined) found++;
      full[n] = value ?? '';
      // Each value prefixed with its length: no two label sets share a key, whatever they contain.
      key += `${full[n].length}:${full[n]}`;
    }
    let given = 0;
    for (const k in labels) if (Object.hasOwn(labels, k)) given++;
    if (given !== found) {
      for (const k of Object.keys(labels)) if (!this.labelNames.includes(k)) throw new Error(`metric label "${k}" is not declared`);
    }
    if (!this.seen.has(key)) {
      if (this.seen.size >= MAX_SERIES) return undefined;
      this.seen.add(key);
    }
    return full;
  }
}

export class Counter extends Bounded {
  readonly type = 'counter';
  readonly prom: PromCounter;
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, labelNames);
    this.prom = new PromCounter({ name, help, labelNames, registers: [] });
  }
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${this.name} cannot decrease`);
    const admitted = this.admit(labels);
    if (admitted) this.prom.inc(admitted, by);
  }
}

/**
 * How several server processes' values of a gauge make one (renderAggregated): 'sum' for what each
 * process holds (connections, sessions, heap), 'max' for a figure of the state they share (the
 * outbound queue), which each of them reads alike.
 */
export type GaugeAggregation = 'sum' | 'max';

export class Gauge extends Bounded {
  readonly type = 'gauge';
  readonly prom: PromGauge;
  constructor(name: string, help: string, labelNames: readonly string[], aggregation: GaugeAggregation = 'sum') {
    super(name, help, labelNames);
    this.prom = new PromGauge({ name, help, labelNames, registers: [], aggregator: aggregation });
  }
  set(labels: Labels, value: number): void {
    const admitted = this.admit(labels);
    if (admitted) this.prom.set(admitted, value);
  }
  inc(labels: Labels = {}, by = 1): void {
    const admitted = this.admit(labels);
    if (admitted) this.prom.inc(admitted, by);
  }
  dec(labels: Labels = {}, by = 1): void {
    this.inc(labels, -by);
  }
}

export class Histogram extends Bounded {
  readonly type = 'histogram';
  readonly prom: PromHistogram;
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = LATENCY_BUCKETS) {
    super(name, help, labelNames);
    this.prom = new PromHistogram({ name, help, labelNames, buckets: [...buckets].sort((a, b) => a - b), registers: [] });
  }
  observe(labels: Labels, value: number): void {
    const admitted = this.admit(labels);
    if (admitted) this.prom.observe(admitted, value);
  }
  /** Starts a timer; the returned function records the elapsed seconds. */
  startTimer(labels: Labels = {}): (more?: Labels) => void {
    const start = process.hrtime.bigint();
    return (more = {}) => this.observe({ ...labels, ...more }, Number(process.hrtime.bigint() - start) / 1e9);
  }
}

type Metric = Counter | Gauge | Histogram;

export class MetricsRegistry {
  /** The prom-client registry behind it: /metrics renders it, process metrics register on it. */
  readonly prometheus = new Registry();
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors = new Set<Collector>();

  /** Declares a metric once; asking again for the same name returns the same metric. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.declare(name, Counter, () => new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = [], aggregation: GaugeAggregation = 'sum'): Gauge {
    return this.declare(name, Gauge, () => new Gauge(name, help, labelNames, aggregation));
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = LATENCY_BUCKETS): Histogram {
    return this.declare(name, Histogram, () => new Histogram(name, help, labelNames, buckets));
  }

  /** Runs before every scrape; returns the function that removes it (a core closing). */
  collect(collector: Collector): () => void {
    this.collectors.add(collector);
    return () => this.collectors.delete(collector);
  }

  /** The exposition text (Content-Type: METRICS_CONTENT_TYPE). */
  async render(): Promise<string> {
    for (const c of this.collectors) await c();
    return this.prometheus.metrics();
  }

  /** Every series with its value, collectors run first: this process's part of renderAggregated. */
  async snapshot(): Promise<MetricsSnapshot> {
    for (const c of this.collectors) await c();
    return this.prometheus.getMetricsAsJSON();
  }

  private declare<M extends Metric>(name: string, kind: abstract new (...args: never[]) => M, make: () => M): M {
    const existing = this.metrics.get(name);
    if (existing) {
      if (!(existing instanceof kind)) throw new Error(`metric ${name} already declared as a ${existing.type}`);
      return existing;
    }
    const m = make();
    this.metrics.set(name, m);
    this.prometheus.registerMetric(m.prom);
    return m;
  }
}

export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

/** One process's series (MetricsRegistry.snapshot), plain data that crosses an IPC channel. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * The exposition text of several server processes together (prom-client's cluster aggregation):
 * counters and histograms summed, gauges by their aggregation (GaugeAggregation; prom-client's
 * process metrics carry their own, e.g. the start time is the first process's).
 */
export function renderAggregated(snapshots: readonly MetricsSnapshot[]): Promise<string> {
  return AggregatorRegistry.aggregate([...snapshots]).metrics();
}

/** The process-wide registry every core counts into and /metrics renders. */
export const metrics = new MetricsRegistry();
