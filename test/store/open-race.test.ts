// Several processes opening one new SQLite mail store at the same moment (server.processes workers,
// or the server and a CLI import) must all succeed: creating the schema and recording its version is
// one transaction, not "read, then insert" raced by the others.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema.js';
import { raceChildren, startGoChild } from '../support/go-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROCESSES = 8;
const ROUNDS = 6;

describe('SQLite mail store opened by several processes at once', () => {
  it('creates the schema once and every process opens it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-open-race-'));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const file = path.join(dir, `store-${round}.sqlite`);
        const children = Array.from({ length: PROCESSES }, () => startGoChild(path.join(here, 'open-race-child.ts'), [file]));
        const outputs = await raceChildren(children);
        for (const out of outputs) assert.match(out, new RegExp(`^OPENED ${SCHEMA_VERSION}$`, 'm'));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
