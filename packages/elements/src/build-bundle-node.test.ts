import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_GZIP_BYTES, buildElementsBundle, type ElementsBundle } from './build-bundle-node.js';

let bundle: ElementsBundle;

beforeAll(async () => {
  bundle = await buildElementsBundle();
});

describe('buildElementsBundle', () => {
  it('stays within the 12 KB gzip budget, Lit included', () => {
    expect(BUNDLE_BUDGET_GZIP_BYTES).toBe(12_288);
    expect(bundle.gzipBytes).toBeLessThanOrEqual(BUNDLE_BUDGET_GZIP_BYTES);
  });

  it('reports the gzip level 9 size of the code it returns', () => {
    const gzipped = gzipSync(bundle.code, { level: 9 });
    expect(bundle.gzipBytes).toBe(gzipped.byteLength);
    expect(gunzipSync(gzipped).toString('utf8')).toBe(bundle.code);
  });

  it('is one self-contained ES module that registers both elements', () => {
    // Nothing left to fetch: no import of Lit or of another chunk.
    expect(bundle.code).not.toMatch(/\bimport\s*[{*"'`(]|\bfrom\s*["'`]/);
    expect(bundle.code).toMatch(/\bexport\s*\{/);
    expect(bundle.code).toContain('cartlink-status');
    expect(bundle.code).toContain('cartlink-result-dialog');
    // Lit is inside: its constructed-stylesheet support check is part of the code.
    expect(bundle.code).toContain('adoptedStyleSheets');
  });

  it('is minified, templates included, and built for production', () => {
    expect(bundle.code.split('\n').length).toBeLessThan(10);
    expect(bundle.code).not.toMatch(/\n {4}/);
    // Lit's development build warns on load; the production build has no such text.
    expect(bundle.code).not.toContain('dev mode');
  });
});
