/**
 * @module The memory baseline: a Node process with tsx's loader and the control channel, and nothing
 * else. Its RSS is what every child of the bench pays before any code of ours is loaded.
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
