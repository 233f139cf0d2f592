/**
 * @module The second half of `npm run build` in `packages/elements` (after `tsc -b`): builds the
 * elements' browser bundle with Vite and writes it to `dist/cartlink-elements.min.js` (or the `.js`
 * file given with `--out FILE`), with its `.d.ts` beside it, and the server render
 * (`cartlink-elements-ssr.js`, which `@cartlink/elements/ssr` loads) in the same directory; then
 * prints the bundle's gzipped size against the budget and fails when the bundle is over it.
 *
 * Run it with `npm run build -w @cartlink/elements`, or `npx tsx packages/elements/scripts/build.ts`.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BUNDLE_BUDGET_GZIP_BYTES,
  SERVER_RENDER_FILE_NAME,
  writeElementsBundle,
  writeServerRender,
} from '../src/build-bundle-node.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outFile = values.out
  ? resolve(values.out)
  : fileURLToPath(new URL('../dist/cartlink-elements.min.js', import.meta.url));

await mkdir(dirname(outFile), { recursive: true });
const { file, code, gzipBytes } = await writeElementsBundle(outFile);
console.log(`${await writeServerRender(join(dirname(outFile), SERVER_RENDER_FILE_NAME))}: the server render`);
const verdict = gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES ? 'within' : 'OVER';
console.log(
  `${file}: ${code.length} bytes, ${gzipBytes} bytes gzipped (level 9), ${verdict} the ${BUNDLE_BUDGET_GZIP_BYTES}-byte budget`,
);
if (gzipBytes > BUNDLE_BUDGET_GZIP_BYTES) process.exitCode = 1;
