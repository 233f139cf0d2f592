/**
 * @module Writes the elements' browser bundle to `packages/elements/dist/cartlink-elements.js` (or
 * the file given with `--out FILE`) and prints its gzipped size against the budget. Run with
 * `npx tsx packages/elements/scripts/build.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_BUDGET_GZIP_BYTES, buildElementsBundle } from '../src/build-bundle-node.js';

const outIndex = process.argv.indexOf('--out');
const outFile =
  outIndex >= 0 && process.argv[outIndex + 1]
    ? resolve(process.argv[outIndex + 1] as string)
    : fileURLToPath(new URL('../dist/cartlink-elements.js', import.meta.url));

const { code, gzipBytes } = await buildElementsBundle();
await mkdir(dirname(outFile), { recursive: true });
await writeFile(outFile, code);
const verdict = gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES ? 'within' : 'OVER';
console.log(
  `${outFile}: ${code.length} bytes, ${gzipBytes} bytes gzipped (level 9), ${verdict} the ${BUNDLE_BUDGET_GZIP_BYTES}-byte budget`,
);
if (gzipBytes > BUNDLE_BUDGET_GZIP_BYTES) process.exitCode = 1;
