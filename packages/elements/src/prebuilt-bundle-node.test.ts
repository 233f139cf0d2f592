import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ELEMENTS_BUNDLE_FILE,
  ElementsBundleMissingError,
  loadPrebuiltElementsBundle,
} from './prebuilt-bundle-node.js';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, readFile: vi.fn(actual.readFile) };
});

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SHIPPED = join(PACKAGE_DIR, 'dist', 'cartlink-elements.min.js');

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${SHIPPED}`), { code });
}

afterEach(() => {
  vi.mocked(readFile).mockClear();
});

describe('loadPrebuiltElementsBundle', () => {
  it('reads the bundle the package ships in dist/', async () => {
    const { code, file } = await loadPrebuiltElementsBundle();
    expect(file).toBe(SHIPPED);
    expect(ELEMENTS_BUNDLE_FILE).toBe(SHIPPED);
    expect(code).toContain('cartlink-status');
    expect(code).toContain('cartlink-result-dialog');
    expect(vi.mocked(readFile).mock.calls).toEqual([[SHIPPED, 'utf8']]);
  });

  it('finds the same file when it runs from dist/, as it does once installed', async () => {
    const built = (await import(
      pathToFileURL(join(PACKAGE_DIR, 'dist', 'prebuilt-bundle-node.js')).href
    )) as {
      ELEMENTS_BUNDLE_FILE: string;
      loadPrebuiltElementsBundle: typeof loadPrebuiltElementsBundle;
    };
    expect(built.ELEMENTS_BUNDLE_FILE).toBe(SHIPPED);
    expect((await built.loadPrebuiltElementsBundle()).file).toBe(SHIPPED);
  });

  it('says which command builds the bundle when the file is missing', async () => {
    const missing = errnoError('ENOENT');
    vi.mocked(readFile).mockRejectedValueOnce(missing);
    const error = await loadPrebuiltElementsBundle().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ElementsBundleMissingError);
    expect(error).toMatchObject({ code: 'elements_bundle_missing', file: SHIPPED, cause: missing });
    expect((error as Error).message).toContain(
      'reinstall the package. In the Cartlink repository, build it: `npm run build -w @cartlink/elements`',
    );
    expect((error as Error).message).toContain(SHIPPED);
  });

  it('passes any other read error on as it is', async () => {
    const denied = errnoError('EACCES');
    vi.mocked(readFile).mockRejectedValueOnce(denied);
    await expect(loadPrebuiltElementsBundle()).rejects.toBe(denied);
  });
});
