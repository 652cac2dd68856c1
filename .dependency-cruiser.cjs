// The architecture of DEVELOPERS.md ("Layout shows the architecture") as a rule `npm run depcheck`
// enforces: which folder of src/ may import which. Type-only imports count as much as run-time ones —
// an interface shared by two layers belongs in a neutral module (src/core), not in one of them.
//
// LAYERS holds, for every folder of src/, the folders it may import at run time (`uses`) and those it
// may only take types from (`typesFrom`). A folder not listed here fails the check until it is placed.
// Where DEVELOPERS.md is silent, the comment on the entry says why the edge is allowed or refused.

/** Shared cores a protocol front-end is a thin adapter over (DEVELOPERS.md), plus the neutral modules. */
const PROTOCOL_USES = ['auth', 'store', 'events', 'log', 'mime', 'net', 'core', 'sieve'];

const LAYERS = {
  // Neutral contracts between layers (ProtocolServer, the delivery contract, session admission…): any
  // folder may import them. They name the shared vocabulary (Principal, JsonValue, settings) by type
  // only and run no code of another folder, so importing core never drags a layer in.
  core: { uses: [], typesFrom: ['auth', 'store', 'events', 'config', 'mime'] },
  // The message model: pure functions over bytes (parsing, decoding), so no other src folder and no
  // node I/O module (see rule mime-is-pure).
  mime: { uses: [], typesFrom: [] },
  // The Sieve interpreter (RFC 5228): pure like mime — it parses scripts and turns a message model into
  // actions; whoever runs it (delivery) does the I/O through callbacks. Protocols (ManageSieve, JMAP)
  // use it to validate uploaded scripts.
  sieve: { uses: ['mime'], typesFrom: [] },
  // Reads configuration files into typed settings; the bottom of the settings chain.
  config: { uses: ['core'], typesFrom: [] },
  // The logger everyone shares; takes its level type from config.
  log: { uses: [], typesFrom: ['config'] },
  // The one listener module: node sockets, maybe a logger; never a protocol or a core.
  net: { uses: ['log', 'core'], typesFrom: ['config'] },
  // The bus between connections and nodes: carries events, knows no producer or consumer.
  events: { uses: ['log', 'core'], typesFrom: [] },
  // Mailboxes, messages, blobs, change log. It publishes on the bus and parses with mime, and is
  // opened with explicit options: reading configuration is start-up code (src/cli, src/server), so
  // the store takes nothing from config, not even types.
  store: { uses: ['events', 'log', 'mime', 'core'], typesFrom: [] },
  // SASL, token validation, policies, users repositories. net is allowed for its CIDR matcher.
  auth: { uses: ['log', 'net', 'core'], typesFrom: ['config'] },
  // The delivery core behind SMTP DATA and JMAP EmailSubmission: routes via the users repository,
  // stores via the store. Protocols reach it only through the contract in src/core/delivery.ts.
  delivery: { uses: ['auth', 'store', 'events', 'log', 'mime', 'net', 'core', 'sieve'], typesFrom: ['config'] },
  // Session control (revocation, back-channel logout, expiry): a core beside the protocols, which
  // reach it only through the admission contract in src/core/sessions.ts.
  sessions: { uses: ['auth', 'store', 'events', 'log', 'net', 'core'], typesFrom: ['config'] },
  // Protocol front-ends: never each other, never delivery or sessions directly (injected through the
  // contracts in src/core), never the start-up code.
  imap: { uses: PROTOCOL_USES, typesFrom: ['config'] },
  smtp: { uses: PROTOCOL_USES, typesFrom: ['config'] },
  jmap: { uses: PROTOCOL_USES, typesFrom: ['config'] },
  pop3: { uses: PROTOCOL_USES, typesFrom: ['config'] },
  managesieve: { uses: PROTOCOL_USES, typesFrom: ['config'] },
  // James' WebAdmin REST API: an adapter like the protocols, over the directory, store and auth core;
  // session control and health reach it as narrow interfaces (src/webadmin/deps.ts) or src/core.
  webadmin: { uses: PROTOCOL_USES, typesFrom: ['config'] },
  // Client discovery documents (autoconfig, autodiscover, OAuth metadata, SRV records): renders a view
  // of the listener configuration that start-up code hands it; serves HttpRoutes (src/core/http).
  discovery: { uses: ['log', 'core'], typesFrom: ['config'] },
  // The development OpenID provider (`tessera` dev IdP, test harness): a tool beside the server that
  // only start-up code starts; nothing of the mail server depends on it.
  devidp: { uses: ['log', 'core'], typesFrom: ['config'] },
  // Start-up code: wires every layer together for `tessera serve`. Not the command line above it.
  server: {
    uses: ['core', 'mime', 'sieve', 'config', 'log', 'net', 'events', 'store', 'auth', 'delivery', 'sessions', 'imap', 'smtp', 'jmap', 'pop3', 'managesieve', 'webadmin', 'devidp', 'discovery'],
    typesFrom: [],
  },
  // The command line: the outermost layer, may use everything.
  cli: {
    uses: ['core', 'mime', 'sieve', 'config', 'log', 'net', 'events', 'store', 'auth', 'delivery', 'sessions', 'imap', 'smtp', 'jmap', 'pop3', 'managesieve', 'webadmin', 'devidp', 'discovery', 'server'],
    typesFrom: [],
  },
};

// A component may raise config's typed error at run time when a setting it was handed cannot be
// honoured at start (e.g. a TLS listener without a usable certificate), so the message names the file,
// the key and the fix. Everything else of config is types outside start-up code.
const CONFIG_ERRORS = '^src/config/errors\\.ts$';

const FOLDERS = Object.keys(LAYERS);
const anyOf = (names) => `^src/(${names.join('|')})/`;

const layerRules = FOLDERS.flatMap((folder) => {
  const { uses, typesFrom } = LAYERS[folder];
  const runtime = [folder, ...uses];
  const rules = [
    {
      name: `layer-${folder}`,
      comment: `src/${folder} may import ${runtime.filter((f) => f !== folder).join(', ') || 'no other src folder'}` +
        (typesFrom.length ? `, and types from ${typesFrom.join(', ')}` : ''),
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: [anyOf([...runtime, ...typesFrom])] },
    },
  ];
  if (typesFrom.length > 0) {
    rules.push({
      name: `layer-${folder}-types-only`,
      comment: `src/${folder} may take only types from ${typesFrom.join(', ')}`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: {
        path: anyOf(typesFrom),
        pathNot: typesFrom.includes('config') ? [CONFIG_ERRORS] : [],
        dependencyTypesNot: ['type-only'],
      },
    });
  }
  return rules;
});

/** Node modules that touch the outside world: a pure module (mime, protocol parsers) uses none. */
const NODE_IO = '^(node:)?(fs|fs/promises|net|tls|http|https|http2|dgram|dns|dns/promises|child_process|cluster|worker_threads|readline|repl|inspector|os|process|v8|vm)$';

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'folder-in-table',
      comment: 'every folder of src/ is placed in the layer table of .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(FOLDERS) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'no cycle of run-time imports: module start-up order must not depend on who loads first',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      // Type-only imports count here: a cycle that leaves its folder ties two layers together even if
      // the compiler erases it. Inside one folder a type-only cycle is the shape of double dispatch
      // (the IMAP/SMTP session calls its command handlers, each handler takes the session's type);
      // it vanishes at compile time and the folder is one unit, so it is not refused.
      name: 'no-circular-between-folders',
      comment: 'no cycle, run-time or type-only, that passes through more than one folder of src/',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, via: { pathNot: '^src/$1/' } },
    },
    {
      name: 'mime-is-pure',
      comment: 'src/mime is pure functions over bytes: no node I/O module',
      severity: 'error',
      from: { path: '^src/mime/' },
      to: { dependencyTypes: ['core'], path: NODE_IO },
    },
    {
      name: 'sieve-is-pure',
      comment: 'src/sieve is a pure interpreter: no node I/O module (delivery hands it what it reads)',
      severity: 'error',
      from: { path: '^src/sieve/' },
      to: { dependencyTypes: ['core'], path: NODE_IO },
    },
    {
      name: 'proto-is-pure',
      comment: 'a protocol\'s proto part (parse, serialise) is pure: no sockets or files, nothing of its protocol outside proto',
      severity: 'error',
      from: { path: '^src/(imap|smtp|jmap|pop3|managesieve)/proto/' },
      to: {
        pathNot: ['^src/$1/proto/', '^src/(mime|core)/', 'node_modules/'],
        path: ['^src/', NODE_IO],
      },
    },
    {
      name: 'not-to-test-code',
      comment: 'shipped code never imports tests, test helpers or benchmarks',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'shipped code uses only dependencies that npm installs in production (not mailparser, imapflow…)',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-undeclared-package',
      comment: 'every package src/ imports is declared in package.json',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves to a file or package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep `import type` edges: they are the ones a neutral module exists for.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
