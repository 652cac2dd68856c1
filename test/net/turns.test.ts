// Fair turns on the real event loop: connections with queued work (simulated by commands that keep
// the thread busy longer than a turn's budget) get one command each per turn of the event loop, so
// the loop's other phases (timers here; socket reads and accepts in the server) come round between
// them, and work waits its turn first come first served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import { ACCEPT_TURN_BUDGET_MS, nextTurn, TURN_BUDGET_MS } from '../../src/net/turns.js';
import { NetListener, type AcceptedConnection } from '../../src/net/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { withDeadline } from '../support/wait.js';

/** A command that keeps the thread busy for `ms`, by default longer than a turn's budget. */
function longCommand(ms = TURN_BUDGET_MS * 2): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * `n` connections with work that keeps following on (message slices, pipelined commands), each piece
 * `ms` long, until stopped: `runs` counts the pieces run so far.
 */
function streaming(n: number, ms?: number): { readonly runs: number; stop(): Promise<void> } {
  let runs = 0;
  let stopped = false;
  const all = Promise.all(
    Array.from({ length: n }, async () => {
      while (!stopped) {
        await nextTurn('continuing');
        runs++;
        longCommand(ms);
      }
    }),
  );
  return {
    get runs() {
      return runs;
    },
    stop: () => {
      stopped = true;
      return all.then(() => undefined);
    },
  };
}

/** `n` connections, each running `commands` commands, each command in its turn. */
function busyConnections(n: number, commands: number, onCommand: (connection: number) => void): Promise<void> {
  return Promise.all(
    Array.from({ length: n }, async (_, connection) => {
      for (let i = 0; i < commands; i++) {
        await nextTurn();
        onCommand(connection);
        longCommand();
      }
    }),
  ).then(() => undefined);
}

test('commands longer than the turn budget run one per turn of the event loop, however many connections have one queued', async () => {
  let sinceTimer = 0;
  let most = 0;
  let ticks = 0;
  // A timer due at every turn: the commands run between two of its callbacks ran in one turn.
  const timer = setInterval(() => {
    most = Math.max(most, sinceTimer);
    sinceTimer = 0;
    ticks++;
  }, 1);
  try {
    await busyConnections(20, 5, () => sinceTimer++);
  } finally {
    clearInterval(timer);
  }
  most = Math.max(most, sinceTimer);
  assert.ok(ticks >= 50, `the timer ran ${ticks} times during 100 commands`);
  assert.equal(most, 1, `${most} commands ran in one turn`);
});

test('work waits its turn first come first served: a connection arriving behind busy ones runs after each of them has run at most once more', async () => {
  const runs = new Map<number, number>();
  const busy = busyConnections(20, 10, (c) => runs.set(c, (runs.get(c) ?? 0) + 1));
  // Arrives (outside the queue) once the first busy connection has run and queued its next command.
  while (runs.size === 0) await new Promise((resolve) => setImmediate(resolve));
  const arrived = new Map(runs);
  await nextTurn();
  const late = new Map(runs);
  await busy;
  for (const [c, n] of late) {
    assert.ok(n - (arrived.get(c) ?? 0) <= 2, `connection ${c} ran ${n - (arrived.get(c) ?? 0)} commands while a later one waited`);
  }
});

test('work that follows input goes ahead of continuing work: a login arriving behind 50 streaming connections runs in the next turn, and continuing work still runs at least every other turn', async () => {
  const streams = streaming(50);
  // Once they are all queued, an interactive command arrives.
  while (streams.runs < 60) await new Promise((resolve) => setImmediate(resolve));
  const before = streams.runs;
  await nextTurn('after-input');
  const ranBefore = streams.runs - before;
  // And interactive work keeps coming, each piece longer than a turn's budget: continuing work is not
  // starved by it.
  const during = streams.runs;
  for (let i = 0; i < 20; i++) {
    await nextTurn('after-input');
    longCommand();
  }
  const ranDuring = streams.runs - during;
  await streams.stop();
  // In arrival order it would have waited for all 50 (about 25 turns' worth of them).
  assert.ok(ranBefore <= 2, `${ranBefore} continuing commands ran while the login waited`);
  assert.ok(ranDuring >= 10, `only ${ranDuring} continuing commands ran during 20 turns of interactive work`);
});

test('a turn in the loop iteration that accepted a connection is short: connections queued behind it are accepted sooner', async () => {
  // Pieces of continuing work longer than a short turn's budget and shorter than a full one's: a full
  // turn runs several of them, a short one only its first.
  const piece = (TURN_BUDGET_MS + ACCEPT_TURN_BUDGET_MS) / 4;
  assert.ok(piece > ACCEPT_TURN_BUDGET_MS && piece * 3 < TURN_BUDGET_MS);
  const streams = streaming(20, piece);
  // Per accepted connection: the pieces run from the accept (poll phase) to the end of that
  // iteration's turn (an immediate queued now runs after the turn's slots, queued before it).
  const inAcceptTurn: number[] = [];
  const listener = new NetListener({
    settings: { name: 'turns', source: 'test', bind: [{ host: '127.0.0.1', port: 0 }], tls: { socketTLS: false, startTLS: false }, connectionLimit: 0, connectionLimitPerIP: 0 },
    refusal: () => '',
    logger: silentLogger(),
    onConnection: (c: AcceptedConnection) => {
      const at = streams.runs;
      setImmediate(() => inAcceptTurn.push(streams.runs - at));
      c.socket.destroy();
      c.release();
    },
  });
  await listener.start();
  const sockets: net.Socket[] = [];
  try {
    const port = listener.ports()[0];
    assert.ok(port !== undefined);
    // Full turns between accepts run several pieces: the budget is what the accepts change.
    const before = streams.runs;
    const turns = 10;
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(streams.runs - before > turns, `${streams.runs - before} pieces in ${turns} full turns`);
    for (let i = 0; i < 30; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
    }
    await withDeadline(
      (async () => {
        while (inAcceptTurn.length < 30) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      30_000,
      'the 30 connections to be accepted',
    );
    assert.ok(Math.max(...inAcceptTurn) <= 1, `pieces run in the turn of an accept: ${inAcceptTurn.join(', ')}`);
  } finally {
    for (const s of sockets) s.destroy();
    await listener.stop(new Date(Date.now() + 1000), { shutdown: () => undefined });
    await streams.stop();
  }
});
