// `tessera serve` with `server.processes` > 1, in the process the operator started: it takes the
// data directory's lock (so a second server on the same directory still refuses, and the workers,
// which run under it, do not take it) and supervises the workers. Signals stay the CLI's business.
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../config/load.js';
import type { LogLevel } from '../../config/types.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { lockDataDirectory } from '../data-lock.js';
import { Supervisor, type SupervisorOptions } from './supervisor.js';
import { WORKER_SLOT_ENV } from './messages.js';

export interface RunningSupervisor {
  readonly logger: Logger;
  readonly supervisor: Supervisor;
  /** Stops every worker gracefully, then releases the data directory. Idempotent. */
  stop(): Promise<void>;
}

/** The slot of this process when it is a worker of `tessera serve` (1…processes), else undefined. */
export function workerSlot(env: NodeJS.ProcessEnv): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(env[WORKER_SLOT_ENV]);
  return Number.isSafeInteger(slot) && slot >= 1 ? slot : undefined;
}

/** server.processes of the conf directory: how many processes `tessera serve` runs. */
export async function configuredProcesses(confDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { config } = await loadConfig(resolve(confDir), { env });
  return config.settings.processes;
}

export async function startSupervisor(options: {
  confDir: string;
  env: NodeJS.ProcessEnv;
  logLevel?: LogLevel;
  logDestination: DestinationStream;
  fork?: SupervisorOptions['fork'];
}): Promise<RunningSupervisor> {
  const { config } = await loadConfig(resolve(options.confDir), { env: options.env });
  const lock = lockDataDirectory(config.settings.dataDir);
  const logger = createLogger(options.logLevel ?? config.settings.logLevel, options.logDestination).child({ role: 'supervisor' });
  const supervisor = new Supervisor({ processes: config.settings.processes, logger, shutdownTimeoutSeconds: config.settings.shutdownTimeout, ...(options.fork ? { fork: options.fork } : {}) });
  logger.info({ processes: config.settings.processes, dataDir: config.settings.dataDir }, 'starting server processes');
  try {
    await supervisor.start();
  } catch (err) {
    lock.release();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    logger,
    supervisor,
    stop: () => {
      stopping ??= supervisor.stop().finally(() => {
        lock.release();
        logger.info('every server process stopped');
      });
      return stopping;
    },
  };
}
