/**
 * @module The shopper's locale for the linking elements and Connect's `Accept-Language`: the three
 * locales Connect answers in, chosen from the browser's `Accept-Language` header.
 * @see docs/connect-api.md "Hosts" (`en-US`, `en-CA`, `fr-CA`)
 */
import type { Locale } from '@cartlink/linking';

/**
 * Picks en-US, en-CA or fr-CA from an `Accept-Language` header (RFC 9110 §12.5.4): the first
 * language by quality that one of them serves. Any French is fr-CA (our only French); `en-CA` is
 * en-CA; any other English, or nothing we serve, is en-US.
 * @example negotiateLocale('fr-FR,fr;q=0.9,en;q=0.8') // 'fr-CA'
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  const ranges = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params
        .map((param) => /^\s*q=([0-9.]+)\s*$/i.exec(param)?.[1])
        .find((value) => value !== undefined);
      return { tag: tag.trim().toLowerCase(), quality: q === undefined ? 1 : Number(q), index };
    })
    .filter((range) => range.tag !== '' && range.quality > 0 && !Number.isNaN(range.quality))
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === 'fr' || tag.startsWith('fr-')) return 'fr-CA';
    if (tag === 'en-ca') return 'en-CA';
    if (tag === 'en' || tag.startsWith('en-')) return 'en-US';
  }
  return 'en-US';
}
