#!/usr/bin/env node
// Coverage-guided fuzzing of the parsers with Jazzer.js (libFuzzer for Node): each target in
// fuzz/targets runs for the time given, one after the other, starting from its committed seeds
// (fuzz/corpus/<target>, read only) and the inputs earlier runs found (.fuzz/corpus/<target>, kept
// outside git). Prints executions and coverage per target; a finding (an exception or a broken
// invariant) is saved under .fuzz/findings/<target>/ and makes the run exit non-zero.
//
//   npm run fuzz -- [--seconds N] [--target name[,name…]] [--verbose]
//   npm run fuzz -- --target name --replay file…   (runs inputs once, without the fuzzer)
//   npm run fuzz -- --list
//
// --smoke (used by `npm test`): 10 s per target from the committed seeds only; when Jazzer.js cannot
// be loaded it prints a notice and passes, except under CI=true, where a missing tool is a failure.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { compatAddon, isVersionMismatch } from './fuzz/glibc-compat.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const require = createRequire(import.meta.url);
const work = join(root, '.fuzz');

/**
 * Per-target engine settings. `sync`: the target never awaits (faster; the event loop is blocked
 * while fuzzing). `maxLen`: largest input libFuzzer generates. `loopback`: the target talks to its
 * own server over 127.0.0.1, which Jazzer's SSRF detector would report as a finding.
 */
const TARGETS = {
  'imap-proto': { sync: true, maxLen: 2048 },
  'smtp-proto': { sync: true, maxLen: 2048 },
  'pop3-proto': { sync: true, maxLen: 2048 },
  'managesieve-proto': { sync: true, maxLen: 2048 },
  sasl: { sync: false, maxLen: 1024 },
  mime: { sync: true, maxLen: 8192 },
  'imap-search': { sync: false, maxLen: 1024, loopback: true },
  'jmap-request': { sync: false, maxLen: 4096 },
  sieve: { sync: false, maxLen: 4096 },
  'proxy-protocol': { sync: true, maxLen: 2048 },
};

function usage(message) {
  if (message) console.error(`fuzz: ${message}`);
  console.error('usage: npm run fuzz -- [--seconds N] [--target name[,name…]] [--verbose] [--smoke] | --target name --replay file… | --list');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { seconds: undefined, targets: Object.keys(TARGETS), verbose: false, smoke: false, replay: null, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seconds') {
      o.seconds = Number(argv[++i]);
      if (!Number.isInteger(o.seconds) || o.seconds < 1) usage('--seconds takes a whole number of seconds');
    } else if (a === '--target') {
      o.targets = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const t of o.targets) if (!(t in TARGETS)) usage(`unknown target "${t}" (known: ${Object.keys(TARGETS).join(', ')})`);
      if (o.targets.length === 0) usage('--target needs a name');
    } else if (a === '--verbose') o.verbose = true;
    else if (a === '--smoke') o.smoke = true;
    else if (a === '--list') o.list = true;
    else if (a === '--replay') {
      o.replay = argv.slice(i + 1);
      break;
    } else usage(`unknown option ${a}`);
  }
  // A smoke run (npm test) gives each target a few seconds; a fuzzing run a minute unless told.
  o.seconds ??= o.smoke ? 10 : 60;
  return o;
}

function targetFile(name) {
  return join(root, 'fuzz', 'targets', `${name}.fuzz.ts`);
}

/** The table and the directory must agree, so a new target cannot be forgotten by the runner. */
function checkTargetTable() {
  const files = readdirSync(join(root, 'fuzz', 'targets')).filter((f) => f.endsWith('.fuzz.ts')).map((f) => f.slice(0, -'.fuzz.ts'.length));
  const missing = files.filter((f) => !(f in TARGETS));
  const stale = Object.keys(TARGETS).filter((t) => !files.includes(t));
  if (missing.length || stale.length) {
    console.error(`fuzz: fuzz/targets and the table in scripts/fuzz.mjs disagree (not in table: ${missing.join(', ') || '-'}; no file: ${stale.join(', ') || '-'})`);
    process.exit(2);
  }
}

/**
 * Locates Jazzer.js and makes sure its native engine loads here; returns the CLI path and the
 * environment its process needs, or the reason it cannot run.
 */
function locateJazzer() {
  let cli;
  let addon;
  try {
    cli = require.resolve('@jazzer.js/core/dist/cli.js');
    const fuzzerPkg = createRequire(cli).resolve('@jazzer.js/fuzzer/package.json');
    addon = join(dirname(fuzzerPkg), 'prebuilds', `fuzzer-${process.platform}-${process.arch}.node`);
  } catch {
    return { error: 'Jazzer.js (@jazzer.js/core, a devDependency) is not installed; run npm install' };
  }
  if (!existsSync(addon)) return { error: `Jazzer.js has no engine for ${process.platform}-${process.arch} (${addon})` };
  const env = {};
  try {
    process.dlopen({ exports: {} }, addon);
  } catch (error) {
    if (!isVersionMismatch(error)) return { error: `Jazzer.js's engine does not load: ${error.message}` };
    try {
      const patched = compatAddon(addon, join(root, 'node_modules', '.cache', 'tessera-fuzz'));
      process.dlopen({ exports: {} }, patched);
      env.TESSERA_FUZZER_ADDON = patched;
    } catch (again) {
      return { error: `Jazzer.js's engine needs a newer C library (${error.message}) and the compatibility copy failed: ${again.message}` };
    }
  }
  return { cli, env };
}

/** Where targets keep their scratch state (stores, sockets): memory when the system offers it. */
function scratchParent() {
  try {
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no tmpfs: the ordinary temp dir
  }
  return tmpdir();
}

function stat(log, name) {
  const m = new RegExp(`stat::${name}:\\s*(\\d+)`).exec(log);
  return m ? Number(m[1]) : undefined;
}

function lastStatus(log) {
  let found;
  for (const m of log.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)\/\S+/g)) found = { cov: Number(m[1]), ft: Number(m[2]), corpus: Number(m[3]) };
  return found;
}

function fmt(n) {
  return n === undefined ? '?' : n.toLocaleString('en-US');
}

function runTarget(name, { seconds, verbose, smoke }, jazzer) {
  const spec = TARGETS[name];
  const scratch = mkdtempSync(join(scratchParent(), `tessera-fuzz-${name}-`));
  // A smoke run starts from the committed seeds alone, as CI does, whatever earlier runs found here.
  const corpus = smoke ? join(scratch, 'corpus') : join(work, 'corpus', name);
  const findings = join(work, 'findings', name);
  const logs = join(work, 'logs');
  for (const d of [corpus, findings, logs]) mkdirSync(d, { recursive: true });
  const seeds = join(root, 'fuzz', 'corpus', name);
  const dict = join(root, 'fuzz', 'dict', `${name}.dict`);
  const before = new Set(readdirSync(findings));
  const logFile = join(logs, `${name}.log`);
  const args = [
    '--require', join(root, 'scripts', 'fuzz', 'preload.cjs'),
    '--import', 'tsx',
    jazzer.cli,
    join(root, 'scripts', 'fuzz', 'entry.mjs'),
    corpus,
    seeds,
    ...(spec.sync ? ['--sync'] : []),
    ...(spec.loopback ? ['--disableBugDetectors', 'ssrf'] : []),
    // Coverage of the product code guides the search; the targets' own checks are not counted.
    '--includes', `${root}/src/`,
    '--timeout', '10000',
    '--',
    `-max_total_time=${seconds}`,
    `-max_len=${spec.maxLen}`,
    `-artifact_prefix=${findings}/`,
    '-print_final_stats=1',
    ...(existsSync(dict) ? [`-dict=${dict}`] : []),
  ];
  // TMPDIR: what targets create with mkdtemp (stores, blobs) lands in the scratch dir, removed below
  // even when the engine ends the process without running the targets' own clean-up.
  const env = { ...process.env, ...jazzer.env, TESSERA_FUZZ_TARGET: targetFile(name), TMPDIR: scratch };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = createWriteStream(logFile);
    let log = '';
    let finished = false;
    const collect = (chunk) => {
      out.write(chunk);
      log += chunk.toString('utf8');
      if (log.length > 4_000_000) log = log.slice(-2_000_000);
      if (verbose) process.stderr.write(chunk);
      // After its time is up Jazzer waits for the event loop to empty, which a target holding a
      // server open never does: once libFuzzer is done and has written its statistics, the
      // process gets a few seconds and is then stopped.
      if (!finished && /^Done \d+ runs in/m.test(log)) {
        finished = true;
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    // A target that hangs outside an input (start-up, shutdown) is stopped well after its time.
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 180) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      out.end();
      rmSync(scratch, { recursive: true, force: true });
      const found = readdirSync(findings).filter((f) => !before.has(f)).map((f) => join(findings, f));
      const status = lastStatus(log);
      resolve({
        name,
        // Once libFuzzer is done, how the process ends (stopped by us, or aborted while Node tears
        // down a target's worker threads under the native engine) says nothing about the inputs.
        ok: (code === 0 || (finished && !/==\d+== |Finding|Uncaught Exception/.test(log))) && found.length === 0,
        code: signal ?? code,
        executions: stat(log, 'number_of_executed_units'),
        perSecond: stat(log, 'average_exec_per_sec'),
        newUnits: stat(log, 'new_units_added'),
        ...status,
        found,
        log,
        logFile,
      });
    });
  });
}

function report(r) {
  const head = `${r.name.padEnd(13)} ${r.ok ? 'ok     ' : 'FAILED '}`;
  console.log(
    `${head} ${fmt(r.executions)} executions (${fmt(r.perSecond)}/s), coverage ${fmt(r.cov)} edges, ${fmt(r.ft)} features, ` +
      `corpus ${fmt(r.corpus)} (+${fmt(r.newUnits)} new)`,
  );
  if (r.ok) return;
  const tail = r.log.split('\n');
  const start = Math.max(0, tail.findIndex((l) => /==\d+==|Uncaught Exception|ERROR:|Error:/.test(l)));
  console.log(tail.slice(start, start + 40).map((l) => `    ${l}`).join('\n'));
  console.log(`    exit ${r.code}; full log: ${relative(root, r.logFile)}`);
  for (const f of r.found) {
    console.log(`    input saved: ${relative(root, f)}`);
    console.log(`    replay it:   npm run fuzz -- --target ${r.name} --replay ${relative(root, f)}`);
  }
}

function replay(target, files) {
  const scratch = mkdtempSync(join(scratchParent(), `tessera-fuzz-${target}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'fuzz', 'replay.ts'), targetFile(target), ...files], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: scratch },
  });
  child.on('exit', (code, signal) => {
    rmSync(scratch, { recursive: true, force: true });
    process.exit(signal ? 1 : (code ?? 1));
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  checkTargetTable();
  if (o.list) {
    for (const t of Object.keys(TARGETS)) console.log(`${t.padEnd(13)} ${relative(root, targetFile(t))}`);
    return;
  }
  if (o.replay) {
    if (o.targets.length !== 1) usage('--replay needs exactly one --target');
    if (o.replay.length === 0) usage('--replay needs input files');
    replay(o.targets[0], o.replay);
    return;
  }
  const jazzer = locateJazzer();
  if (jazzer.error) {
    if (o.smoke && process.env.CI !== 'true') {
      console.log(`fuzz: skipped (${jazzer.error})`);
      return;
    }
    console.error(`fuzz: ${jazzer.error}`);
    process.exit(1);
  }
  if (jazzer.env.TESSERA_FUZZER_ADDON) console.log(`fuzz: using the C-library compatibility copy of the engine (${relative(root, jazzer.env.TESSERA_FUZZER_ADDON)})`);
  let failed = 0;
  for (const name of o.targets) {
    const r = await runTarget(name, o, jazzer);
    report(r);
    if (!r.ok) failed++;
  }
  if (failed) {
    console.log(`fuzz: ${failed} target(s) failed`);
    process.exit(1);
  }
}

await main();
