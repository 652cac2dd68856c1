// The module Jazzer.js loads (its CLI accepts only .js/.mjs/.cjs targets): it imports the TypeScript
// fuzz target named by TESSERA_FUZZ_TARGET (through tsx, registered with --import) and re-exports
// its `fuzz` function. The target's imports of src/ are instrumented by Jazzer's ESM loader hook.
const target = await import(process.env.TESSERA_FUZZ_TARGET);
if (typeof target.fuzz !== 'function') throw new Error(`${process.env.TESSERA_FUZZ_TARGET} does not export fuzz(data)`);
export const fuzz = target.fuzz;
