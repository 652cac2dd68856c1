#!/usr/bin/env node
// Entry point of the `tessera` command. Runs the compiled CLI (npm run build); from a source
// checkout without dist/, or with TESSERA_FROM_SOURCE=1 (the tests set it so that a stale dist/
// never hides a change), runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
if (existsSync(compiled) && process.env.TESSERA_FROM_SOURCE !== '1') {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
