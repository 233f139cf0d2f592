/**
 * @module The old memory baseline, kept for information (`rss_node_tsx_baseline_mb`): a Node process
 * with tsx's loader and the control channel, and nothing else. It is what every server of the bench
 * paid before they ran compiled JavaScript; the ratios' baseline is `empty-http.ts`, on plain `node`.
 * This one alone still runs through tsx (`node --import tsx`).
 */
import { announceReady, serveControl } from './control';

serveControl({
  stop: () => {
    setImmediate(() => process.exit(0));
    return null;
  },
});
announceReady('none');
// Keep the event loop alive until told to stop.
setInterval(() => {}, 60_000);
