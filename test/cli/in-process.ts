// Runs `tessera` commands in this process (runCli with in-memory streams): fast enough to cover
// every branch, while cli.test.ts proves the same through a real child process.
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/run.js';
import type { CliIO } from '../../src/cli/types.js';
import { CapturedOutput } from '../server/capture.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const io: CliIO = { stdout, stderr, stdin: Readable.from(options.input === undefined ? [] : [options.input]), env: options.env ?? {} };
  const code = await runCli(args, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A stand-in terminal: raw mode is recorded, keystrokes are pushed by the test. */
export class FakeTerminal extends PassThrough {
  readonly isTTY = true;
  isRaw = false;
  readonly rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.isRaw = mode;
    this.rawModes.push(mode);
    return this;
  }
}

/** Runs a command against a fake terminal, typing each answer once its prompt ("…password…: ") has been written. */
export async function cliOnTerminal(args: string[], answers: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun & { terminal: FakeTerminal }> {
  const terminal = new FakeTerminal();
  const stdout = new CapturedOutput();
  const pending = [...answers];
  // Types the next answer whenever a prompt appears, as a person would.
  const stderr = new (class extends CapturedOutput {
    override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
      super._write(chunk, encoding, callback);
      const text = chunk.toString();
      const answer = /password/i.test(text) && text.endsWith(": ") ? pending.shift() : undefined;
      if (answer !== undefined) setImmediate(() => terminal.write(answer));
    }
  })();
  const code = await runCli(args, { stdout, stderr, stdin: terminal, env });
  return { code, stdout: stdout.text(), stderr: stderr.text(), terminal };
}
