// `tessera serve`: runs the server until SIGTERM or SIGINT, then stops it cleanly (stop accepting,
// let in-flight commands finish up to settings.shutdownTimeout, close stores) and exits 0.
// A second signal while stopping exits at once.
import { parseCommandArgs, resolveConfDir, stringOption } from '../args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import type { CliCommand, CliIO } from '../types.js';
import { isLogLevel, LOG_LEVELS, stderrLogDestination } from '../../log/logger.js';

const usage = `Usage: tessera serve [--conf DIR] [--log-level LEVEL]

Starts every protocol listener configured in DIR (imapserver.xml, smtpserver.xml, jmap.properties)
and runs until SIGTERM or Ctrl-C. JSON logs go to standard error; the start-up banner to standard output.
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
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Signal handlers do not keep Node's event loop alive: with no listener enabled, the process
    // would otherwise end (exit 13, unfinished await) instead of waiting to be stopped.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    try {
      // Loaded here, not at the top: the protocol servers are a large module graph that
      // `tessera user …` and `tessera help` should not pay for.
      const [{ runServe }, { protocolFactories }] = await Promise.all([
        import('../../server/serve.js'),
        import('../../server/protocols.js'),
      ]);
      const running = await runServe({
        confDir: resolveConfDir(args, io.env),
        ...(level !== undefined ? { logLevel: level } : {}),
        factories: protocolFactories,
        io: {
          stdout: io.stdout,
          env: io.env,
          logDestination: io.stderr === process.stderr ? stderrLogDestination() : io.stderr,
        },
      });
      const signal = await received;
      running.logger.info({ signal }, 'signal received, shutting down');
      await running.stop();
      return EXIT_OK;
    } finally {
      clearInterval(keepAlive);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};
