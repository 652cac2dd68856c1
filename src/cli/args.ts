// Option parsing shared by the subcommands, on Node's util.parseArgs: unknown options and missing
// values become UsageError (exit 2) instead of a stack trace.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';

export interface OptionSpec {
  [name: string]: { type: 'string' | 'boolean'; short?: string };
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseCommandArgs(argv: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** The conf directory: --conf, else $TESSERA_CONF, else ./conf (relative to the working directory). */
export function resolveConfDir(args: ParsedArgs, env: NodeJS.ProcessEnv): string {
  return resolve(stringOption(args, 'conf') ?? (env.TESSERA_CONF || 'conf'));
}
