// The MailStore contract, one suite per interface of the store (src/store/api/, src/store/revocations.ts).
// Each backend's test file calls runStoreContract with a factory that returns a fresh, empty store
// wired to the given event bus; every suite runs against it.
import type { StoreFactory } from './harness.js';
import { runAccountsContract } from './accounts.js';
import { runMailboxesContract } from './mailboxes.js';
import { runMessageWritesContract } from './message-writes.js';
import { runMessageReadsContract } from './message-reads.js';
import { runSearchContract } from './search.js';
import { runChangesContract } from './changes.js';
import { runQuotaContract } from './quota.js';
import { runBlobsContract } from './blobs.js';
import { runMaintenanceContract } from './maintenance.js';
import { runSettingsContract } from './settings.js';
import { runOutboundContract } from './outbound.js';
import { runRevocationsContract } from './revocations.js';
import { runSpooledIngestContract } from './spooled-ingest.js';
import { runSieveScriptsContract } from './sieve-scripts.js';
import { runMetadataContract } from './metadata.js';

export type { StoreFactory, StoreFixture } from './harness.js';

export function runStoreContract(name: string, factory: StoreFactory): void {
  runAccountsContract(name, factory);
  runMailboxesContract(name, factory);
  runMessageWritesContract(name, factory);
  runMessageReadsContract(name, factory);
  runSearchContract(name, factory);
  runChangesContract(name, factory);
  runQuotaContract(name, factory);
  runBlobsContract(name, factory);
  runMaintenanceContract(name, factory);
  runSettingsContract(name, factory);
  runOutboundContract(name, factory);
  runRevocationsContract(name, factory);
  runSpooledIngestContract(name, factory);
  runSieveScriptsContract(name, factory);
  runMetadataContract(name, factory);
}
