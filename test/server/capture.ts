// In-memory streams for in-process runs: what a command printed, and the JSON log lines.
import { Writable } from 'node:stream';

export class CapturedOutput extends Writable {
  private readonly chunks: string[] = [];

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  text(): string {
    return this.chunks.join('');
  }

  /** The JSON log records written so far. */
  records(): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
