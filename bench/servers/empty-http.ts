/**
 * @module The memory baseline of `rss_idle_ratio` and `rss_loaded_ratio`: a bare `node` process with
 * an empty `node:http` server, what any Node web server pays before its own code. Compiled and run on
 * plain `node` like the storefront; it imports nothing of ours, not even the control channel: it
 * prints its URL when listening (the launcher's ready line) and ends on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((_request, response) => {
  response.writeHead(204);
  response.end();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
