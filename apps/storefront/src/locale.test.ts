import { describe, expect, it } from 'vitest';
import { negotiateLocale } from './locale.js';

describe('negotiateLocale', () => {
  it.each([
    [null, 'en-US'],
    ['', 'en-US'],
    ['en-US,en;q=0.9', 'en-US'],
    ['en-CA', 'en-CA'],
    ['fr-CA,fr;q=0.9', 'fr-CA'],
    ['fr-FR', 'fr-CA'],
    ['de-DE,fr;q=0.5,en;q=0.4', 'fr-CA'],
    ['en;q=0.4,fr-CA;q=0.8', 'fr-CA'],
    ['fr;q=0,en-CA', 'en-CA'],
    ['ja,zh', 'en-US'],
    ['*', 'en-US'],
    ['garbage;;q=abc,en-CA', 'en-CA'],
  ])('picks the locale for %j: %s', (header, expected) => {
    expect(negotiateLocale(header)).toBe(expected);
  });
});
