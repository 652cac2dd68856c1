// Loaded with `node --require` before Jazzer.js: when TESSERA_FUZZER_ADDON names a patched copy of
// the libFuzzer addon (see glibc-compat.mjs for why one is needed), the addon is loaded from there.
'use strict';
const path = require('node:path');

const replacement = process.env.TESSERA_FUZZER_ADDON;
if (replacement) {
  const original = process.dlopen;
  process.dlopen = function dlopen(module, filename, ...rest) {
    const redirected = /[\\/]@jazzer\.js[\\/]fuzzer[\\/]prebuilds[\\/]fuzzer-[^\\/]+\.node$/.test(filename) ? path.resolve(replacement) : filename;
    return original.call(this, module, redirected, ...rest);
  };
}
