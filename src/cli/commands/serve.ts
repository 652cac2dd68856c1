// `tessera serve`: runs the server until SIGTERM or SIGINT, then stops it cleanly (stop accepting,
// let in-flight commands finish up to settings.shutdownTimeout, close stores) and exits 0.
// A second signal while stopping exits at once. SIGHUP reloads (see onHangup and superviseWorkers).
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';
import { isLogLevel, LOG_LEVELS, stderrLogDestination } from '../../log/logger.js';
import type { LogLevel } from '../../config/types.js';
import type { DestinationStream } from 'pino';
import type { RunningServer } from '../../server/serve.js';
import { asClusterMessage, type ClusterMessage } from '../../server/cluster/messages.js';

const usage = `Usage: tessera serve [--conf DIR] [--log-level LEVEL]

Starts every protocol listener configured in DIR (imapserver.xml, smtpserver.xml, jmap.properties)
and runs until SIGTERM or Ctrl-C; SIGHUP reads the TLS certificates again (with server.processes > 1,
the whole configuration). JSON logs go to standard error; the start-up banner to standard output.
  --conf DIR          configuration directory (default: $TESSERA_CONF, else ./conf)
  --log-level LEVEL   ${LOG_LEVELS.join(', ')} (default: $TESSERA_LOG_LEVEL, else log.level in tessera.properties)`;

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'run the mail server',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseCommandArgs(argv, { conf: { type: 'string' }, 'log-level': { type: 'string' } });
    if (args.values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const level = stringOption(args, 'log-level');
    if (level !== undefined && !isLogLevel(level)) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
    }

    const confDir = resolveConfDir(args, io.env);
    const logDestination = io.stderr === process.stderr ? stderrLogDestination() : io.stderr;
    // Loaded here, not at the top: the server is a large module graph that `tessera user …` and
    // `tessera help` should not pay for.
    const { workerSlot, configuredProcesses } = await import('../../server/cluster/primary.js');
    const slot = workerSlot(io.env);
    if (slot === undefined && (await configuredProcesses(confDir, io.env)) > 1) {
      return superviseWorkers(io, { confDir, logDestination, ...(level !== undefined ? { logLevel: level } : {}) });
    }

    // Listen for signals before starting, so a SIGTERM during start-up still stops cleanly.
    let signalled: NodeJS.Signals | undefined;
    let wake: (signal: NodeJS.Signals) => void = () => {};
    const received = new Promise<NodeJS.Signals>((resolve) => (wake = resolve));
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        io.stderr.write(`tessera: ${signal} while stopping; exiting now\n`);
        process.exit(EXIT_FAILURE);
      }
      signalled = signal;
      wake(signal);
    };
    // A worker of several server processes is stopped by its supervisor's message (the operator's
    // Ctrl-C may reach it as well: whichever comes first stops it, the other is not a second signal).
    const onStopMessage = (raw: unknown): void => {
      if (asClusterMessage(raw)?.tessera !== 'stop' || signalled) return;
      signalled = 'SIGTERM';
      wake('SIGTERM');
    };
    // SIGHUP: a single process reads the configuration again for its TLS key material only (a
    // renewed certificate; anything else needs a restart, or server.processes > 1, whose supervisor
    // replaces the workers on SIGHUP). A worker leaves SIGHUP to its supervisor: one sent to the whole
    // process group must not end it.
    let running: RunningServer | undefined;
    let reloading: Promise<void> | undefined;
    const onHangup = (): void => {
      if (slot !== undefined || !running || signalled) return;
      const server = running;
      reloading ??= reloadTls(server).finally(() => (reloading = undefined));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHangup);
    if (slot !== undefined) process.on('message', onStopMessage);
    // Signal handlers do not keep Node's event loop alive: with no listener enabled, the process
    // would otherwise end (exit 13, unfinished await) instead of waiting to be stopped.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    try {
      const [{ runServe }, { protocolFactories }] = await Promise.all([
        import('../../server/serve.js'),
        import('../../server/protocols.js'),
      ]);
      running = await runServe({
        confDir,
        ...(level !== undefined ? { logLevel: level } : {}),
        factories: protocolFactories,
        io: { stdout: io.stdout, env: io.env, logDestination },
        ...(slot !== undefined ? { worker: { slot } } : {}),
      });
      if (slot !== undefined) process.send?.({ tessera: 'ready' } satisfies ClusterMessage);
      const signal = await received;
      running.logger.info({ signal }, 'signal received, shutting down');
      await running.stop();
      return EXIT_OK;
    } finally {
      clearInterval(keepAlive);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
      process.off('message', onStopMessage);
    }
  },
};

/** SIGHUP in a single server process: new TLS key material, logged either way. */
async function reloadTls(server: RunningServer): Promise<void> {
  server.logger.info({ signal: 'SIGHUP' }, 'signal received, reloading the TLS certificates');
  try {
    const listeners = await server.reloadTls();
    server.logger.info({ listeners }, 'TLS certificates reloaded; other settings take effect at restart (with server.processes > 1, SIGHUP applies them all)');
  } catch (err) {
    server.logger.error({ err: (err as Error).message }, 'TLS reload failed: the configuration could not be read; the running certificates stay');
  }
}

/**
 * `server.processes` > 1: this process supervises the workers until SIGTERM or SIGINT (each worker
 * stops gracefully, then this one exits); SIGHUP replaces the workers one at a time, so they read
 * the configuration again without closing the listeners.
 */
async function superviseWorkers(
  io: CliIO,
  options: { confDir: string; logLevel?: LogLevel; logDestination: DestinationStream },
): Promise<number> {
  const { startSupervisor } = await import('../../server/cluster/primary.js');
  const signals: NodeJS.Signals[] = [];
  let wake: (() => void) | undefined;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping && signal !== 'SIGHUP') {
      io.stderr.write(`tessera: ${signal} while stopping; exiting now\n`);
      process.exit(EXIT_FAILURE);
    }
    signals.push(signal);
    wake?.();
  };
  const handled: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of handled) process.on(s, onSignal);
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    const running = await startSupervisor({ ...options, env: io.env });
    for (;;) {
      if (signals.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const signal = signals.shift()!;
      if (signal === 'SIGHUP') {
        running.logger.info({ signal }, 'signal received, reloading');
        await running.supervisor.reload();
        continue;
      }
      stopping = true;
      running.logger.info({ signal }, 'signal received, shutting down');
      await running.stop();
      return EXIT_OK;
    }
  } finally {
    clearInterval(keepAlive);
    for (const s of handled) process.off(s, onSignal);
  }
}
