/**
 * @module Hono adapter: the linking endpoints as a Hono sub-app, a thin wrapper over the
 * web-standard handler.
 */
import { Hono } from 'hono';
import { resolveBasePath } from '../base-path.js';
import { createLinkingHandler, type LinkingHandlerOptions } from '../handler.js';

/**
 * Returns a Hono app serving `{basePath}/status`, `{basePath}/authorize`, `{basePath}/link` and
 * `{basePath}/verify`.
 * @example
 * app.route('/', createLinkingHonoApp({ linking, getSubject, allowedOrigins: [publicUrl] }));
 */
export function createLinkingHonoApp(options: LinkingHandlerOptions): Hono {
  const handle = createLinkingHandler(options);
  const basePath = resolveBasePath(options.basePath);
  const app = new Hono();
  app.all(`${basePath}/*`, (c) => handle(c.req.raw));
  return app;
}
