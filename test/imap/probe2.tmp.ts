import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryEventBus } from '../../src/events/memory-bus.js';
import { openSqliteStore } from '../../src/store/index.js';
const dir = await mkdtemp(join(tmpdir(), 'x-'));
const s = await openSqliteStore({ dataDir: dir, events: new MemoryEventBus() });
try { await s.ensureAccount('a@b.c'); console.log('ok'); } catch (e) { console.log(e); }
