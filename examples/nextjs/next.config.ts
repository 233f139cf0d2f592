/**
 * @module Next.js configuration of Corner Shop.
 *
 * The Cartlink server packages, Lit's server renderer and the PostgreSQL driver stay out of the
 * server bundles: Node loads them from node_modules as they were published. They read files next to
 * themselves at run time (`@cartlink/elements/ssr` renders with the `dist/cartlink-elements-ssr.js`
 * it ships, `@cartlink/linking` loads its database engine on demand), which a bundler that moves
 * their code elsewhere would break.
 */
import type { NextConfig } from 'next';
import { PHASE_DEVELOPMENT_SERVER } from 'next/constants';

const nextConfig: NextConfig = {
  serverExternalPackages: [
    '@cartlink/elements',
    '@cartlink/linking',
    '@cartlink/connect',
    '@lit-labs/ssr',
    'pg',
  ],
  // No `X-Powered-By: Next.js`: what the shop runs on is nobody's business.
  poweredByHeader: false,
};

/** The configuration; `next dev` also reads emulator.env. */
export default function config(phase: string): NextConfig {
  // `npm run dev` runs against the emulator. Variables already in the environment win. (Not
  // `node --env-file`: `next dev` hands Node's options on to its server process, which refuses it.)
  if (phase === PHASE_DEVELOPMENT_SERVER) process.loadEnvFile('emulator.env');
  return nextConfig;
}
