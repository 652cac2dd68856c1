// Per-file state while loading: how the file is named in messages, where its relative paths point,
// and where warnings go. Every error and warning is raised through here so they all look alike.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';
import type { ConfigWarning } from './load.js';
import { InvalidValue } from './values.js';

/** How a path is shown to the operator: relative to the working directory when inside it. */
export function displayPath(absolute: string): string {
  const rel = path.relative(process.cwd(), absolute);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? absolute : rel;
}

/** Settings of tessera.properties that change how the James files are read. */
export interface ReadPolicy {
  /**
   * `auth.oidc.requireAudience`: an XML `<oidc>` block without `<aud>` stops the start, as in James
   * (whose switch is -Djames.sasl.oidc.validate.aud=false). Default true.
   */
  oidcRequireAudience: boolean;
}

export const DEFAULT_READ_POLICY: ReadPolicy = { oidcRequireAudience: true };

export class FileContext {
  /** Absolute path of the file. */
  readonly path: string;
  /** The file as named in messages, e.g. `conf/imapserver.xml`. */
  readonly display: string;

  constructor(
    readonly confDir: string,
    readonly fileName: string,
    private readonly warnings: ConfigWarning[],
    private readonly notices: ConfigWarning[] = [],
    readonly policy: ReadPolicy = DEFAULT_READ_POLICY,
  ) {
    this.path = path.join(confDir, fileName);
    this.display = displayPath(this.path);
  }

  warn(key: string, message: string): void {
    this.warnings.push({ file: this.display, key, message });
  }

  /**
   * Says once how Tessera differs from James where its default is safer (logged at info level). The
   * same message raised by several blocks of this file becomes one line naming all their keys.
   */
  notice(key: string, message: string): void {
    const same = this.notices.find((w) => w.file === this.display && w.message === message);
    if (same) {
      if (!same.key.split(', ').includes(key)) same.key = `${same.key}, ${key}`;
      return;
    }
    this.notices.push({ file: this.display, key, message });
  }

  fail(key: string, value: string, allowed: string, problem?: string): never {
    throw new ConfigError({ file: this.display, key, value, allowed, ...(problem === undefined ? {} : { problem }) });
  }

  /** Runs a value parser, turning its InvalidValue into a ConfigError naming this file and key. */
  parse<T>(key: string, raw: string, parser: (raw: string) => T): T {
    try {
      return parser(raw);
    } catch (err) {
      if (err instanceof InvalidValue) this.fail(key, err.value ?? raw, err.allowed, err.problem);
      throw err;
    }
  }

  /**
   * Resolves a James path: `file://conf/x` and `conf/x` are relative to the James home (the conf
   * directory's parent), `file:///x` and `/x` are absolute.
   */
  resolvePath(key: string, raw: string): string {
    const v = raw.trim();
    const home = path.dirname(this.confDir);
    if (v.startsWith('file:///')) return fileURLToPath(v);
    if (v.startsWith('file://')) return path.resolve(home, v.slice('file://'.length));
    if (v.startsWith('file:')) return path.resolve(home, v.slice('file:'.length));
    if (/^[a-z][a-z0-9+.-]*:/i.test(v) && !/^[a-z]:[\\/]/i.test(v)) {
      this.fail(key, raw, 'write a file path, plain or file:// (relative paths start at the conf directory\'s parent)', 'unsupported location');
    }
    return path.resolve(home, v);
  }

  /** Reads a file named by this configuration; unreadable is a start-up error naming the key. */
  async readReferenced(key: string, raw: string, what: string): Promise<{ path: string; data: Buffer }> {
    const file = this.resolvePath(key, raw);
    try {
      return { path: file, data: await readFile(file) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.fail(key, raw, `${what} ${file} cannot be read (${code}); check the path (relative paths start at ${path.dirname(this.confDir)}) and its permissions`, 'unreadable file');
    }
  }
}

/** Reads a configuration file; undefined when it does not exist (every file is optional). */
export async function readOptionalFile(ctx: FileContext): Promise<string | undefined> {
  try {
    return await readFile(ctx.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    ctx.fail('(file)', '', `the file cannot be read (${code ?? String(err)}); fix its permissions or remove it`, 'unreadable file');
  }
}
