// Runs a fuzz target once on each given input, outside the fuzzer, and prints what it throws with
// the full stack: how a saved finding is debugged (`npm run fuzz -- --target t --replay file`).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [targetPath, ...inputs] = process.argv.slice(2);
if (!targetPath || inputs.length === 0) {
  console.error('usage: replay.ts <target.fuzz.ts> <input>…');
  process.exit(2);
}
const target = (await import(pathToFileURL(targetPath).href)) as { fuzz: (data: Buffer) => unknown; close?: () => Promise<void> };
let failed = 0;
for (const file of inputs) {
  try {
    await target.fuzz(readFileSync(file));
    console.log(`ok      ${file}`);
  } catch (error) {
    failed++;
    console.log(`FAILED  ${file}`);
    console.log(error);
  }
}
await target.close?.();
process.exit(failed ? 1 : 0);
