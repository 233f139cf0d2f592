/**
 * @module The hostile input of section 5: a catalogue of payloads, fast-check arbitraries built from
 * it (strings, form fields, JSON bodies, content types, origins), and the encodings that carry them
 * into URLs, headers and bodies. A string may hold `{M}`, replaced by the request's marker
 * `<x-fuzz-N>`, or `{E}`, its percent-encoding, so that a reflection can be told apart.
 */
import fc from 'fast-check';

/** Replaces `{M}` with the marker and `{E}` with its percent-encoding, in every string of a value. */
export function materialize<T>(value: T, marker: string): T {
  if (typeof value === 'string') {
    return value.replaceAll('{M}', marker).replaceAll('{E}', encodeURIComponent(marker)) as T;
  }
  if (Array.isArray(value)) return value.map((item) => materialize(item, marker)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[materialize(key, marker)] = materialize(item, marker);
    return out as T;
  }
  return value;
}

/** Strings that have broken parsers, templates and routers before, and values the routes expect. */
const PAYLOADS = [
  '{M}',
  '"><{M}',
  "'><{M}",
  '</script>{M}<script>',
  '</textarea>{M}',
  'javascript:alert(1)//{M}',
  '{E}',
  '%3Cx-fuzz-0%3E',
  '\r\nSet-Cookie: injected=1',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '\u0000',
  '\uFEFF',
  '\uD800',
  '😀',
  '{{7*7}}',
  '$\u{7B}7*7}',
  "' OR 1=1 --",
  '-1',
  '0',
  '1e309',
  'NaN',
  '0x10',
  '9'.repeat(40),
  '__proto__',
  'constructor',
  'null',
  'true',
  '',
  ' ',
  '%',
  '%zz',
  '%E0%A4%A',
  '/',
  '//evil.example/',
  '/\\evil.example',
  'http://evil.example/',
  'data:text/html,{M}',
  '2025-02-30',
  '9999-12-31',
  '0000-01-01',
  'bananas',
  'cartlink-demo',
  'S256',
  'account_linking',
  'authorization_code',
  'client_credentials',
];

/** A hostile string: payloads, random text (any Unicode, lone surrogates), and oversized runs. */
export const hostile: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...PAYLOADS) },
      { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom(...PAYLOADS), fc.string({ maxLength: 12 }))
          .map(([a, b]) => a + b),
      },
      // Oversized: past the 8 KiB link body, the 16 KiB form and header limits, the 64 KiB emulator body.
      { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 70_000 }).map((length) => 'A'.repeat(length)) },
    ),
    fc.boolean(),
  )
  .map(([text, marked]) => (marked ? `{M}${text}` : text));

/** A header value: what fetch can send (no CR, LF, NUL; Latin-1 only). */
export function headerValue(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').slice(0, 4_000);
}

/** A record with any of `keys` (hostile values) plus a few hostile keys of its own. */
export function fields(keys: readonly string[]): fc.Arbitrary<Record<string, string>> {
  const model: Record<string, fc.Arbitrary<string>> = {};
  for (const key of keys) model[key] = hostile;
  return fc
    .tuple(fc.record(model, { requiredKeys: [] }), fc.dictionary(hostile, hostile, { maxKeys: 2 }))
    .map(([known, extra]) => ({ ...extra, ...known }) as Record<string, string>);
}

/** Percent-encodes fully, or "raw": keeps `%` (malformed escapes) and `/` (extra segments). */
export function encodePart(text: string, raw: boolean): string {
  const encoded = encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  return raw ? encoded.replace(/%25/g, '%').replace(/%2F/gi, '/') : encoded;
}

/** A query string of these fields, each part encoded as {@link encodePart} does. */
export function queryString(values: Record<string, string>, raw: boolean): string {
  return Object.entries(values)
    .map(([key, value]) => `${encodePart(key, raw)}=${encodePart(value, raw)}`)
    .join('&');
}

/** Whether a URL part goes raw (see {@link encodePart}). */
export const rawFlag = fc.boolean();
/** `valid` (the endpoint's own media type) most of the time, else a wrong one. */
export const contentTypes = fc.oneof(
  { weight: 6, arbitrary: fc.constant('valid') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/x-www-form-urlencoded; charset=iso-8859-1',
      'application/xml',
      '',
      '*/*',
    ),
  },
);
/** `valid` (the site's own origin) most of the time, else a foreign, opaque or hostile one. */
export const origins = fc.oneof(
  { weight: 8, arbitrary: fc.constant('valid') },
  { weight: 1, arbitrary: fc.constantFrom('null', 'http://evil.example', 'http://127.0.0.1', '') },
  { weight: 1, arbitrary: hostile },
);

/** A body for a JSON endpoint: known keys with hostile values, any JSON, wrong types, or not JSON at all. */
export function jsonBody(keys: readonly string[]): fc.Arbitrary<string> {
  const typed: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of keys) typed[key] = fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(
    { weight: 4, arbitrary: fields(keys).map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.record(typed, { requiredKeys: [] }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: hostile },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 9_000, max: 80_000 })
        .map((length) => JSON.stringify({ code: 'x'.repeat(length) })),
    },
  );
}

/** The `Origin` header for a sampled origin; `valid` stands for the site's own. */
export function withOrigin(origin: string, valid: string): Record<string, string> {
  const value = origin === 'valid' ? valid : headerValue(origin);
  return value === '' ? {} : { origin: value };
}

/** The `Content-Type` header for a sampled type; `valid` stands for the endpoint's own. */
export function withType(type: string, valid: string): Record<string, string> {
  return { 'content-type': type === 'valid' ? valid : type };
}

/** A form body. */
export const form = (values: Record<string, string>) => new URLSearchParams(values).toString();
