#!/usr/bin/env node
/**
 * @module Entry point of the `cartlink-emulator` command (and of `npx @cartlink/emulator`): runs the
 * compiled CLI, `dist/cli.js`, on plain Node. Inside the Cartlink repository, `npm run build`
 * makes dist/, and `npm run emulator` runs the TypeScript sources instead.
 */
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'cartlink-emulator: dist/cli.js is missing: build the package first (npm run build), or run the sources with npm run emulator',
  );
  process.exit(2);
}
await import(cli.href);
