// Several processes opening one new SQLite mail store at the same moment (server.processes workers,
// or the server and a CLI import) must all succeed: creating the schema and recording its version is
// one transaction, not "read, then insert" raced by the others.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROCESSES = 8;
const ROUNDS = 6;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  done: Promise<string>;
}

function start(file: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'open-race-child.ts'), file], {
    cwd: path.resolve(here, '../..'),
  });
  let out = '';
  let err = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY\n')) markReady();
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      markReady();
      if (code === 0) resolve(out);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
  return { proc, ready, done };
}

describe('SQLite mail store opened by several processes at once', () => {
  it('creates the schema once and every process opens it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-open-race-'));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const file = path.join(dir, `store-${round}.sqlite`);
        const children = Array.from({ length: PROCESSES }, () => start(file));
        // Every child has loaded its modules before any opens, so the opens really overlap.
        await Promise.all(children.map((c) => c.ready));
        for (const c of children) c.proc.stdin.write('go\n');
        const outputs = await Promise.all(children.map((c) => c.done));
        for (const out of outputs) assert.match(out, new RegExp(`^OPENED ${SCHEMA_VERSION}$`, 'm'));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
