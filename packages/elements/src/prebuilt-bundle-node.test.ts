import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeBundleKey, loadPrebuiltElementsBundle } from './prebuilt-bundle-node.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'cartlink-elements-cache-'));
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('the prebuilt elements bundle', () => {
  it('is built once in a child process, then read from disk under a key of its sources', async () => {
    const key = await computeBundleKey();
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(await computeBundleKey()).toBe(key);

    const first = await loadPrebuiltElementsBundle({ cacheDir });
    expect(first.file).toBe(join(cacheDir, `cartlink-elements.${key}.js`));
    expect(first.code).toContain('cartlink-status');
    expect(first.code).toContain('cartlink-result-dialog');
    const builtAt = statSync(first.file).mtimeMs;

    const second = await loadPrebuiltElementsBundle({ cacheDir });
    expect(second.code).toBe(first.code);
    expect(statSync(second.file).mtimeMs).toBe(builtAt);
  }, 120_000);
});
