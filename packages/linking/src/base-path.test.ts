import { describe, expect, it } from 'vitest';
import { resolveBasePath } from './base-path.js';

describe('resolveBasePath', () => {
  it('mounts the endpoints under /cartlink when the host names no base path', () => {
    expect(resolveBasePath(undefined)).toBe('/cartlink');
  });

  it.each([
    ['/api/cartlink', '/api/cartlink'],
    ['/api/cartlink/', '/api/cartlink'],
    ['/api/cartlink//', '/api/cartlink'],
    ['/', ''],
  ])('reads %s as %s', (basePath, resolved) => {
    expect(resolveBasePath(basePath)).toBe(resolved);
  });
});
