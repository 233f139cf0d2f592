/**
 * @module `@cartlink/linking/hono`: the linking endpoints as a Hono sub-app. Web standards only, so
 * it runs wherever Hono does; needs the optional peer dependency `hono` (`npm i hono`).
 */
export { createLinkingHonoApp } from './adapters/hono.js';
