// Process entry of the `tessera` command (bin/tessera.js imports this module).
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
// A handle some library forgot to close must not keep a finished command (or a stopped server)
// alive; unref'd, this timer never delays a process that exits on its own.
setTimeout(() => process.exit(code), 2000).unref();
