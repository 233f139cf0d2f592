import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type ElementStrings, formatExpiryDate, LOCALES, resolveLocale, STRINGS } from './strings.js';

/** Every leaf of a strings object, functions called with a sample shop name, keyed by its path. */
function leaves(value: unknown, path = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof value === 'string') out.set(path, value);
  else if (typeof value === 'function') out.set(path, String(value('Corner Market')));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      for (const [p, v] of leaves(child, `${path}.${key}`)) out.set(p, v);
    }
  }
  return out;
}

describe('STRINGS', () => {
  it('has every string, non-empty, in every locale', () => {
    const reference = [...leaves(STRINGS['en-US']).keys()].sort();
    for (const locale of LOCALES) {
      const strings = leaves(STRINGS[locale] satisfies ElementStrings);
      expect([...strings.keys()].sort(), locale).toEqual(reference);
      for (const [path, text] of strings) expect(text.trim(), `${locale}${path}`).not.toBe('');
    }
  });

  it('names the buttons exactly as the product contract says, in English and French', () => {
    for (const locale of ['en-US', 'en-CA'] as const) {
      const { status, dialog } = STRINGS[locale];
      expect([status.link, status.join, status.manage, status.retry]).toEqual([
        'Link Instacart account',
        'Join Instacart+',
        'Manage Instacart+',
        'Try again',
      ]);
      expect([dialog.continue, dialog.retry, dialog.close]).toEqual([
        'Continue shopping',
        'Try again',
        'Close',
      ]);
    }
    const { status, dialog } = STRINGS['fr-CA'];
    expect([status.link, status.join, status.manage, status.retry]).toEqual([
      'Associer le compte Instacart',
      "S'abonner à Instacart+",
      'Gérer Instacart+',
      'Réessayer',
    ]);
    expect([dialog.continue, dialog.retry, dialog.close]).toEqual([
      'Continuer vos achats',
      'Réessayer',
      'Fermer',
    ]);
  });

  it('has a place for the date in every expiry sentence', () => {
    for (const locale of LOCALES) expect(STRINGS[locale].status.expiry.split('{date}')).toHaveLength(2);
  });

  it('puts the shop name into the sentences that name the accounts', () => {
    expect(STRINGS['en-US'].dialog.success('Corner Market')).toBe(
      'Your Corner Market account is now linked to your Instacart account.',
    );
    expect(STRINGS['fr-CA'].status.unlinked('Marché du coin')).toBe(
      "Votre compte Marché du coin n'est associé à aucun compte Instacart.",
    );
  });
});

describe('resolveLocale', () => {
  it.each([
    ['en-US', 'en-US'],
    ['en-CA', 'en-CA'],
    ['EN-ca', 'en-CA'],
    ['fr-CA', 'fr-CA'],
    ['fr', 'fr-CA'],
    ['fr-FR', 'fr-CA'],
    ['en', 'en-US'],
    ['en-GB', 'en-US'],
    ['de', 'en-US'],
    ['', 'en-US'],
    [null, 'en-US'],
    [undefined, 'en-US'],
    ['frisian', 'en-US'],
  ])('maps %j to %s', (tag, locale) => {
    expect(resolveLocale(tag)).toBe(locale);
  });
});

describe('formatExpiryDate', () => {
  it('writes MM/DD/YYYY in en-US and YYYY-MM-DD in en-CA and fr-CA', () => {
    expect(formatExpiryDate('2025-09-22T07:14:43Z', 'en-US')).toBe('09/22/2025');
    expect(formatExpiryDate('2025-09-22T07:14:43Z', 'en-CA')).toBe('2025-09-22');
    expect(formatExpiryDate('2025-09-22T07:14:43Z', 'fr-CA')).toBe('2025-09-22');
  });

  it('uses the UTC calendar date, whatever the time zone', () => {
    expect(formatExpiryDate('2025-01-01T23:59:59Z', 'en-US')).toBe('01/01/2025');
    expect(formatExpiryDate('2025-01-01T00:30:00+02:00', 'en-US')).toBe('12/31/2024');
  });

  it('writes what Intl.DateTimeFormat writes in UTC, for any date with a four-digit year, in every locale', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(...LOCALES),
        (date, locale) => {
          const intl = new Intl.DateTimeFormat(locale, {
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            timeZone: 'UTC',
          }).format(date);
          expect(formatExpiryDate(date.toISOString(), locale)).toBe(intl);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never asks Intl: the server and the browser write the same text whatever their ICU data', () => {
    const intl = vi.spyOn(Intl, 'DateTimeFormat');
    try {
      for (const locale of LOCALES) formatExpiryDate('2025-09-22T07:14:43Z', locale);
      expect(intl).not.toHaveBeenCalled();
    } finally {
      intl.mockRestore();
    }
  });

  it('gives nothing for a missing or malformed date', () => {
    expect(formatExpiryDate(null, 'en-US')).toBeUndefined();
    expect(formatExpiryDate('', 'en-US')).toBeUndefined();
    expect(formatExpiryDate('next year', 'en-US')).toBeUndefined();
  });
});
