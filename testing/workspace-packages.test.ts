import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectedSourcePaths, readSourcePaths } from './workspace-packages.js';

describe('the workspace maps every published entry point to its source', () => {
  it('has one tsconfig path per export, and nothing else', () => {
    expect(readSourcePaths()).toEqual(expectedSourcePaths());
  });

  it.each(Object.entries(expectedSourcePaths()))('%s has a source file', (_name, target) => {
    expect(existsSync(fileURLToPath(new URL(`../${target}`, import.meta.url)))).toBe(true);
  });
});
