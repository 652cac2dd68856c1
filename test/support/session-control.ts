// A real SessionControl for protocol tests: revocations in the test's mail store, a fresh temp
// directory as its data directory, no admin socket, subscribed to the test's event bus so
// `session-revoked` events end registered sessions exactly as in `tessera serve`.
//
//   const sessions = await startTestSessionControl({ bus, store, logger, auth, oidc: [idp.oidcConfig()] });
//   new ImapServer({ auth, store, events: bus, logger, sessions }, config);
//   await sessions.close();   // stops it and removes the directory
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthService } from '../../src/auth/service.js';
import type { OidcConfig } from '../../src/config/types.js';
import type { EventBus } from '../../src/events/types.js';
import type { Logger } from '../../src/log/logger.js';
import type { RevocationStore } from '../../src/store/revocations.js';
import { createSessionControl, type SessionControl } from '../../src/sessions/index.js';

export interface TestSessionControlOptions {
  bus: EventBus;
  /** The test's mail store, which keeps the revocations (the caller closes it). */
  store: RevocationStore;
  logger: Logger;
  /** Enables re-introspection of sessions whose oidc block has introspection and revalidateInterval. */
  auth?: AuthService;
  /** Providers whose back-channel logout tokens are accepted. */
  oidc?: readonly OidcConfig[];
  revalidateTickMs?: number;
}

export interface TestSessionControl extends SessionControl {
  /** stop() and remove the temp directory. */
  close(): Promise<void>;
}

export async function startTestSessionControl(options: TestSessionControlOptions): Promise<TestSessionControl> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-sessions-'));
  const control = createSessionControl({
    dataDir: dir,
    store: options.store,
    bus: options.bus,
    logger: options.logger,
    oidc: options.oidc ?? [],
    adminSocket: false,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.revalidateTickMs !== undefined ? { revalidateTickMs: options.revalidateTickMs } : {}),
  });
  await control.start();
  return Object.assign(control, {
    async close(): Promise<void> {
      await control.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}
