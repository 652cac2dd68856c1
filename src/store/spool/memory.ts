// How many bytes of arriving messages this process holds in memory right now: slices handed to spool
// writers and not yet on disk, across every connection of every protocol. The figure the hostile-input
// tests and benches watch: it must stay bounded by connections × the per-writer buffer, whatever the
// message sizes, because message bytes live in spool files, not in memory.
import { sharedIngestGate } from './ingest-gate.js';

class ArrivingBytes {
  private now = 0;
  private top = 0;

  get current(): number {
    return this.now;
  }

  get peak(): number {
    return this.top;
  }

  add(n: number): void {
    this.now += n;
    if (this.now > this.top) this.top = this.now;
  }

  remove(n: number): void {
    this.now -= n;
  }

  resetPeak(): void {
    this.top = this.now;
  }
}

/** The process-wide counter every spool writer reports to. */
export const arrivingBytes = new ArrivingBytes();

export interface IngestMemoryStats {
  /** Bytes of arriving messages waiting in spool writers' buffers now. */
  arrivingBytes: number;
  peakArrivingBytes: number;
  /** Memory charged now to messages read back for parsing (the ingest gate: PARSE_PEAK_FACTOR per byte). */
  parsingBytes: number;
  peakParsingBytes: number;
  /** The ingest gate's budget. */
  parsingBudget: number;
}

export function ingestMemoryStats(): IngestMemoryStats {
  return {
    arrivingBytes: arrivingBytes.current,
    peakArrivingBytes: arrivingBytes.peak,
    parsingBytes: sharedIngestGate.admittedBytes,
    peakParsingBytes: sharedIngestGate.peakAdmittedBytes,
    parsingBudget: sharedIngestGate.budget,
  };
}

/** Starts a new measurement window for the peaks (tests, benches). */
export function resetIngestMemoryPeaks(): void {
  arrivingBytes.resetPeak();
  sharedIngestGate.resetPeak();
}
