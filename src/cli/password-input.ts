// Reads a new password for `tessera user add|passwd`: from a no-echo prompt on a terminal, or from
// the first line of stdin when it is a pipe (`echo pw | tessera user add a@b`). Passwords on argv
// are handled by the caller, with a warning.
import { PasswordInputError } from './errors.js';
import type { CliIO } from './types.js';

interface RawCapable {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode(mode: boolean): unknown;
}

function isRawCapable(stream: unknown): stream is RawCapable & NodeJS.ReadableStream {
  return typeof (stream as Partial<RawCapable>).setRawMode === 'function';
}

/** One line typed on the terminal, echoing nothing. Ctrl-C aborts; backspace and Ctrl-U edit. */
function promptHidden(stdin: RawCapable & NodeJS.ReadableStream, out: NodeJS.WritableStream, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    out.write(prompt);
    const wasRaw = stdin.isRaw ?? false;
    let value = '';
    const finish = (): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      const text = chunk.toString();
      // Arrow and function keys arrive as escape sequences: not part of a password.
      if (text.startsWith('\u001b')) return;
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) {
          finish();
          reject(new PasswordInputError('password entry aborted'));
          return;
        }
        if (ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The first line of a piped stdin, without its line ending. */
async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let buffered = '';
  let sawNewline = false;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    buffered += chunk.toString();
    const nl = buffered.indexOf('\n');
    if (nl >= 0) {
      buffered = buffered.slice(0, nl);
      sawNewline = true;
      break;
    }
  }
  if (!sawNewline && buffered === '') throw new PasswordInputError('no password on standard input');
  return buffered.replace(/\r$/, '');
}

export async function readNewPassword(io: CliIO, username: string): Promise<string> {
  const stdin = io.stdin;
  if (stdin.isTTY && isRawCapable(stdin)) {
    const first = await promptHidden(stdin, io.stderr, `New password for ${username}: `);
    const second = await promptHidden(stdin, io.stderr, 'Retype the password: ');
    if (first !== second) throw new PasswordInputError('the two passwords differ; nothing was changed');
    return first;
  }
  return readFirstLine(stdin);
}
