// Preloaded (--import) into each worker of `tessera serve` when the comparison runs Tessera with
// several processes: answers the comparison's process with this worker's RSS (and V8's figures) after a full GC, so the
// IDLE memory measure covers every process. Other messages (the supervisor's) are left to the server.
import { GC_REQUEST, settledMemory, type GcAnswer } from './settled-rss.js';

process.on('message', (msg: unknown) => {
  if (msg !== GC_REQUEST) return;
  void settledMemory().then((m) => process.send?.({ bench: 'rss', ...m } satisfies GcAnswer));
});
