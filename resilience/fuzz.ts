/**
 * @module Section 5: fast-check fuzzing of every storefront and emulator endpoint with malformed,
 * oversized and hostile input (bounded: a fixed number of runs per endpoint from a fixed seed, so a
 * failure replays). Each request carries a unique marker `<x-fuzz-N>` in its strings (raw and
 * percent-encoded); every answer must be below 500, hold no stack trace (`at` frames, source paths),
 * and never contain the marker raw in an HTML page. Stored input is checked too: hostile names put
 * into the storefront's users table and into the emulator (Instacart accounts, Connect users, apps)
 * must come out escaped on the pages that show them.
 */
import { join } from 'node:path';
import { openDatabase } from '@cartlink/linking/node';
import type { StorefrontDatabase } from '@cartlink/storefront';
import fc from 'fast-check';
import { CLIENT_ID, CLIENT_SECRET, EmulatorAdmin, Sandbox } from './lib/emulator-client';
import { runLinkFlow } from './lib/flows';
import {
  findFreePort,
  mapLimit,
  REPO_ROOT,
  Scope,
  startEmulatorChild,
  startStorefrontChild,
} from './lib/processes';
import { histogram, type SectionContext } from './lib/report';
import { CookieJar, readCsrf, ShopClient, signIn } from './lib/shop-client';
import { createShoppers, SHOPPER_PASSWORD } from './lib/shoppers';

const SECTION = '5 fuzz';
/** The base seed of every sample; target i uses SEED + i. */
const SEED = 20_251_129;
const PER_REQUEST_TIMEOUT_MS = 10_000;

/** Everything a request builder may use: origins, sessions, tokens. */
interface FuzzEnv {
  shop: string;
  emulator: string;
  redirectUri: string;
  shopperCookie: string;
  shopperCsrf: string;
  adminCookie: string;
  anonCookie: string;
  anonCsrf: string;
  bearer: string;
  emulatorLogin: { cookie: string; csrf: string; authorizationId: string };
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

interface Target {
  name: string;
  server: 'storefront' | 'emulator';
  runs: number;
  serial: boolean;
  build(numRuns: number, seed: number): Array<(env: FuzzEnv, marker: string) => FuzzRequest>;
  after?: ((env: FuzzEnv) => Promise<void>) | undefined;
}

/** Replaces `{M}` with the marker and `{E}` with its percent-encoding, in every string of a value. */
function materialize<T>(value: T, marker: string): T {
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

function target<T>(spec: {
  name: string;
  server: 'storefront' | 'emulator';
  runs?: number;
  serial?: boolean;
  arbitrary: fc.Arbitrary<T>;
  request: (value: T, env: FuzzEnv) => FuzzRequest;
  after?: (env: FuzzEnv) => Promise<void>;
}): Target {
  return {
    name: spec.name,
    server: spec.server,
    runs: spec.runs ?? 300,
    serial: spec.serial ?? false,
    after: spec.after,
    build: (numRuns, seed) =>
      fc
        .sample(spec.arbitrary, { numRuns, seed })
        .map((value) => (env, marker) => spec.request(materialize(value, marker), env)),
  };
}

// ---------------------------------------------------------------------------------------------
// Hostile input

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
const hostile: fc.Arbitrary<string> = fc
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
function headerValue(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').slice(0, 4_000);
}

/** A record with any of `keys` (hostile values) plus a few hostile keys of its own. */
function fields(keys: readonly string[]): fc.Arbitrary<Record<string, string>> {
  const model: Record<string, fc.Arbitrary<string>> = {};
  for (const key of keys) model[key] = hostile;
  return fc
    .tuple(fc.record(model, { requiredKeys: [] }), fc.dictionary(hostile, hostile, { maxKeys: 2 }))
    .map(([known, extra]) => ({ ...extra, ...known }) as Record<string, string>);
}

/** Percent-encodes fully, or "raw": keeps `%` (malformed escapes) and `/` (extra segments). */
function encodePart(text: string, raw: boolean): string {
  const encoded = encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  return raw ? encoded.replace(/%25/g, '%').replace(/%2F/gi, '/') : encoded;
}

function queryString(values: Record<string, string>, raw: boolean): string {
  return Object.entries(values)
    .map(([key, value]) => `${encodePart(key, raw)}=${encodePart(value, raw)}`)
    .join('&');
}

const rawFlag = fc.boolean();
const contentTypes = fc.oneof(
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
const origins = fc.oneof(
  { weight: 8, arbitrary: fc.constant('valid') },
  { weight: 1, arbitrary: fc.constantFrom('null', 'http://evil.example', 'http://127.0.0.1', '') },
  { weight: 1, arbitrary: hostile },
);

/** A body for a JSON endpoint: known keys with hostile values, any JSON, wrong types, or not JSON at all. */
function jsonBody(keys: readonly string[]): fc.Arbitrary<string> {
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

function withOrigin(origin: string, valid: string): Record<string, string> {
  const value = origin === 'valid' ? valid : headerValue(origin);
  return value === '' ? {} : { origin: value };
}

function withType(type: string, valid: string): Record<string, string> {
  return { 'content-type': type === 'valid' ? valid : type };
}

const form = (values: Record<string, string>) => new URLSearchParams(values).toString();

// ---------------------------------------------------------------------------------------------
// Targets

const SHOPPER_PAGES = ['/', '/cart', '/checkout', '/orders', '/account/profile', '/signin', '/healthz'];
const KNOWN_STOREFRONT_PATHS = [
  ...SHOPPER_PAGES,
  '/cartlink/status',
  '/cartlink/link',
  '/cartlink/verify',
  '/signout',
  '/cart/items',
  '/admin/reconciliation',
];

function storefrontTargets(quick: boolean): Target[] {
  return [
    target({
      name: 'storefront GET pages with hostile query strings (signed in)',
      server: 'storefront',
      arbitrary: fc.tuple(
        fc.constantFrom(...SHOPPER_PAGES),
        fields(['next', 'code', 'state', 'q', 'page']),
        rawFlag,
      ),
      request: ([path, query, raw], env) => ({
        method: 'GET',
        url: `${env.shop}${path}?${queryString(query, raw)}`,
        headers: { cookie: env.shopperCookie },
      }),
    }),
    target({
      name: 'storefront GET /signin?next= (signed out)',
      server: 'storefront',
      arbitrary: fc.tuple(hostile, rawFlag),
      request: ([next, raw], env) => ({
        method: 'GET',
        url: `${env.shop}/signin?next=${encodePart(next, raw)}`,
        headers: {},
      }),
    }),
    target({
      name: 'storefront POST /signin with its valid CSRF token and hostile email/password/next',
      server: 'storefront',
      runs: quick ? 20 : 100,
      arbitrary: fields(['email', 'password', 'next']),
      request: (values, env) => ({
        method: 'POST',
        url: `${env.shop}/signin`,
        headers: {
          cookie: env.anonCookie,
          origin: env.shop,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form({ ...values, _csrf: env.anonCsrf }),
      }),
    }),
    target({
      name: 'storefront POST /signin with hostile headers and body',
      server: 'storefront',
      arbitrary: fc.tuple(
        contentTypes,
        origins,
        fc.oneof(hostile, fields(['_csrf', 'email', 'password']).map(form)),
      ),
      request: ([type, origin, body], env) => ({
        method: 'POST',
        url: `${env.shop}/signin`,
        headers: {
          cookie: env.anonCookie,
          ...withOrigin(origin, env.shop),
          ...withType(type, 'application/x-www-form-urlencoded'),
        },
        body,
      }),
    }),
    target({
      name: 'storefront POST /signout with hostile fields',
      server: 'storefront',
      arbitrary: fc.tuple(origins, fields(['_csrf'])),
      request: ([origin, values], env) => ({
        method: 'POST',
        url: `${env.shop}/signout`,
        headers: {
          cookie: env.shopperCookie,
          ...withOrigin(origin, env.shop),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form(values),
      }),
    }),
    ...(['/cart/items', '/cart/remove'] as const).map((path) =>
      target({
        name: `storefront POST ${path} (valid CSRF, hostile product_id)`,
        server: 'storefront',
        arbitrary: fc.tuple(origins, contentTypes, fields(['product_id', 'quantity'])),
        request: ([origin, type, values], env) => ({
          method: 'POST',
          url: `${env.shop}${path}`,
          headers: {
            cookie: env.shopperCookie,
            ...withOrigin(origin, env.shop),
            ...withType(type, 'application/x-www-form-urlencoded'),
          },
          body: form({ ...values, _csrf: env.shopperCsrf }),
        }),
      }),
    ),
    target({
      name: 'storefront POST /checkout (valid CSRF, hostile expected_fee_cents)',
      server: 'storefront',
      arbitrary: fc.tuple(origins, fields(['expected_fee_cents'])),
      request: ([origin, values], env) => ({
        method: 'POST',
        url: `${env.shop}/checkout`,
        headers: {
          cookie: env.shopperCookie,
          ...withOrigin(origin, env.shop),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form({ ...values, _csrf: env.shopperCsrf }),
      }),
    }),
    target({
      name: 'storefront GET /orders/{id} with hostile ids',
      server: 'storefront',
      arbitrary: fc.tuple(hostile, rawFlag),
      request: ([id, raw], env) => ({
        method: 'GET',
        url: `${env.shop}/orders/${encodePart(id, raw)}`,
        headers: { cookie: env.shopperCookie },
      }),
    }),
    target({
      name: 'storefront GET /account/profile with hostile code/state/iss/error callback parameters',
      server: 'storefront',
      arbitrary: fc.tuple(fields(['code', 'state', 'iss', 'error', 'error_description']), rawFlag),
      request: ([query, raw], env) => ({
        method: 'GET',
        url: `${env.shop}/account/profile?${queryString(query, raw)}`,
        headers: { cookie: env.shopperCookie },
      }),
    }),
    ...(['/admin/reconciliation', '/admin/reconciliation.csv'] as const).map((path) =>
      target({
        name: `storefront GET ${path}?from&to (admin)`,
        server: 'storefront',
        arbitrary: fc.tuple(fields(['from', 'to']), rawFlag),
        request: ([query, raw], env) => ({
          method: 'GET',
          url: `${env.shop}${path}?${queryString(query, raw)}`,
          headers: { cookie: env.adminCookie },
        }),
      }),
    ),
    target({
      name: 'storefront GET /assets/{file} with hostile names',
      server: 'storefront',
      arbitrary: fc.tuple(hostile, rawFlag),
      request: ([file, raw], env) => ({
        method: 'GET',
        url: `${env.shop}/assets/${encodePart(file, raw)}`,
        headers: {},
      }),
    }),
    target({
      name: 'storefront GET /cartlink/status with hostile query, cookie and Accept-Language',
      server: 'storefront',
      arbitrary: fc.tuple(fields(['user_id', 'userId']), hostile, hostile, fc.boolean()),
      request: ([query, cookie, language, ownSession], env) => ({
        method: 'GET',
        url: `${env.shop}/cartlink/status?${queryString(query, false)}`,
        headers: {
          cookie: ownSession ? env.shopperCookie : headerValue(`cm_session=${cookie}`),
          'accept-language': headerValue(language),
        },
      }),
    }),
    target({
      name: 'storefront POST /cartlink/link with hostile JSON bodies, types and origins',
      server: 'storefront',
      arbitrary: fc.tuple(
        origins,
        contentTypes,
        jsonBody(['code', 'state', 'iss', 'error', 'error_description']),
      ),
      request: ([origin, type, body], env) => ({
        method: 'POST',
        url: `${env.shop}/cartlink/link`,
        headers: {
          cookie: env.shopperCookie,
          ...withOrigin(origin, env.shop),
          ...withType(type, 'application/json'),
        },
        body,
      }),
    }),
    target({
      name: 'storefront POST /cartlink/verify with hostile bodies and origins',
      server: 'storefront',
      arbitrary: fc.tuple(origins, contentTypes, jsonBody(['user_id', 'fresh'])),
      request: ([origin, type, body], env) => ({
        method: 'POST',
        url: `${env.shop}/cartlink/verify`,
        headers: {
          cookie: env.shopperCookie,
          ...withOrigin(origin, env.shop),
          ...withType(type, 'application/json'),
        },
        body,
      }),
    }),
    target({
      name: 'storefront any method on hostile paths',
      server: 'storefront',
      arbitrary: fc.tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.constantFrom(...KNOWN_STOREFRONT_PATHS, ''),
        fc.array(hostile, { maxLength: 3 }),
        rawFlag,
      ),
      request: ([method, base, segments, raw], env) => ({
        method,
        url: `${env.shop}${base}${segments.map((segment) => `/${encodePart(segment, raw)}`).join('')}`,
        headers: { cookie: env.shopperCookie, origin: env.shop },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '' }),
      }),
    }),
    target({
      name: 'storefront GET /account/profile with hostile Cookie headers',
      server: 'storefront',
      arbitrary: fc.array(fc.tuple(hostile, hostile), { minLength: 1, maxLength: 4 }),
      request: (cookies, env) => ({
        method: 'GET',
        url: `${env.shop}/account/profile`,
        headers: {
          cookie: headerValue(cookies.map(([name, value]) => `${name || 'cm_session'}=${value}`).join('; ')),
        },
      }),
    }),
  ];
}

function emulatorTargets(quick: boolean, admin: EmulatorAdmin): Target[] {
  const bearer = (env: FuzzEnv, own: boolean, text: string) =>
    own ? `Bearer ${env.bearer}` : headerValue(text);
  const json = (type: string) => withType(type, 'application/json');
  return [
    target({
      name: 'emulator GET /oauth/authorize with hostile parameters',
      server: 'emulator',
      arbitrary: fc.tuple(
        fields([
          'response_type',
          'client_id',
          'redirect_uri',
          'scope',
          'state',
          'code_challenge',
          'code_challenge_method',
        ]),
        fc.boolean(),
        rawFlag,
      ),
      request: ([query, validClient, raw], env) => ({
        method: 'GET',
        url: `${env.emulator}/oauth/authorize?${queryString(
          validClient
            ? {
                response_type: 'code',
                scope: 'account_linking',
                ...query,
                client_id: CLIENT_ID,
                redirect_uri: env.redirectUri,
              }
            : query,
          raw,
        )}`,
        headers: {},
      }),
    }),
    target({
      name: 'emulator POST /oauth/login with valid session/CSRF and hostile email/password',
      server: 'emulator',
      runs: quick ? 20 : 100,
      arbitrary: fields(['email', 'password']),
      request: (values, env) => ({
        method: 'POST',
        url: `${env.emulator}/oauth/login`,
        headers: { cookie: env.emulatorLogin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          ...values,
          csrf_token: env.emulatorLogin.csrf,
          authorization_id: env.emulatorLogin.authorizationId,
        }),
      }),
    }),
    ...(['/oauth/login', '/oauth/decision', '/oauth/logout'] as const).map((path) =>
      target({
        name: `emulator POST ${path} with hostile forms`,
        server: 'emulator',
        arbitrary: fc.tuple(
          contentTypes,
          fields(['csrf_token', 'authorization_id', 'decision', 'email']),
          fc.boolean(),
        ),
        request: ([type, values, session], env) => ({
          method: 'POST',
          url: `${env.emulator}${path}`,
          headers: {
            ...(session ? { cookie: env.emulatorLogin.cookie } : {}),
            ...withType(type, 'application/x-www-form-urlencoded'),
          },
          body: form(values),
        }),
      }),
    ),
    ...(['/v2/oauth/token', '/v2/oauth/token/revoke'] as const).map((path) =>
      target({
        name: `emulator POST ${path} with hostile bodies`,
        server: 'emulator',
        arbitrary: fc.tuple(
          contentTypes,
          jsonBody([
            'grant_type',
            'client_id',
            'client_secret',
            'code',
            'redirect_uri',
            'scope',
            'code_verifier',
            'token',
          ]),
          fc.boolean(),
          fc.option(fields(['client_secret']), { nil: undefined }),
        ),
        request: ([type, body, ownClient, query], env) => {
          let text = body;
          if (ownClient) {
            try {
              const parsed = JSON.parse(body) as unknown;
              if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
                text = JSON.stringify({ ...parsed, client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
              }
            } catch {
              // not JSON: sent as it is
            }
          }
          return {
            method: 'POST',
            url: `${env.emulator}${path}${query ? `?${queryString(query, false)}` : ''}`,
            headers: json(type),
            body: text,
          };
        },
      }),
    ),
    target({
      name: 'emulator GET /v2/fulfillment/users/{id}/link with hostile ids and tokens',
      server: 'emulator',
      arbitrary: fc.tuple(hostile, rawFlag, fc.boolean(), hostile),
      request: ([id, raw, own, token], env) => ({
        method: 'GET',
        url: `${env.emulator}/v2/fulfillment/users/${encodePart(id, raw)}/link`,
        headers: { authorization: bearer(env, own, token) },
      }),
    }),
    target({
      name: 'emulator POST /v2/fulfillment/users/{id}/link with hostile ids and bodies',
      server: 'emulator',
      arbitrary: fc.tuple(hostile, rawFlag, contentTypes, jsonBody(['linking_token'])),
      request: ([id, raw, type, body], env) => ({
        method: 'POST',
        url: `${env.emulator}/v2/fulfillment/users/${encodePart(id, raw)}/link`,
        headers: { authorization: `Bearer ${env.bearer}`, ...json(type) },
        body,
      }),
    }),
    target({
      name: 'emulator POST /v2/fulfillment/users with hostile users (stored)',
      server: 'emulator',
      arbitrary: fc.tuple(
        contentTypes,
        jsonBody(['user_id', 'first_name', 'last_name', 'phone_number', 'locale']),
      ),
      request: ([type, body], env) => ({
        method: 'POST',
        url: `${env.emulator}/v2/fulfillment/users`,
        headers: { authorization: `Bearer ${env.bearer}`, ...json(type) },
        body,
      }),
    }),
    target({
      name: 'emulator POST /v2/fulfillment_sandbox/instacart_users with hostile accounts (stored)',
      server: 'emulator',
      arbitrary: fc.tuple(
        contentTypes,
        jsonBody(['email', 'phone', 'password', 'instacartplus_member', 'express_member']),
      ),
      request: ([type, body], env) => ({
        method: 'POST',
        url: `${env.emulator}/v2/fulfillment_sandbox/instacart_users`,
        headers: { authorization: `Bearer ${env.bearer}`, ...json(type) },
        body,
      }),
    }),
    target({
      name: 'emulator POST /v2/fulfillment_sandbox/instacart_users/{id}/authorize with hostile input',
      server: 'emulator',
      arbitrary: fc.tuple(
        fc.oneof(fc.constant('1'), hostile),
        rawFlag,
        jsonBody(['redirect_uri', 'scope', 'code_challenge', 'code_challenge_method']),
      ),
      request: ([id, raw, body], env) => ({
        method: 'POST',
        url: `${env.emulator}/v2/fulfillment_sandbox/instacart_users/${encodePart(id, raw)}/authorize`,
        headers: { authorization: `Bearer ${env.bearer}`, 'content-type': 'application/json' },
        body,
      }),
    }),
    target({
      name: 'emulator GET /signup?next= and /store/account/instacart-plus',
      server: 'emulator',
      arbitrary: fc.tuple(
        fc.constantFrom('/signup', '/store/account/instacart-plus'),
        fields(['next']),
        rawFlag,
      ),
      request: ([path, query, raw], env) => ({
        method: 'GET',
        url: `${env.emulator}${path}?${queryString(query, raw)}`,
        headers: {},
      }),
    }),
    ...(
      [
        [
          'POST',
          '/_emulator/instacart-users',
          ['email', 'password', 'instacartplus_member', 'expired_at', 'phone'],
        ],
        ['PATCH', '/_emulator/instacart-users/{id}', ['instacartplus_member', 'expired_at', 'active']],
        ['DELETE', '/_emulator/links/{id}', []],
        ['PATCH', '/_emulator/connect-users/{id}', ['active']],
        [
          'POST',
          '/_emulator/faults',
          ['method', 'path', 'status', 'body', 'delay_ms', 'drop', 'times', 'probability', 'seed'],
        ],
        ['POST', '/_emulator/clock', ['advance_seconds', 'now']],
        ['PATCH', '/_emulator/settings', ['issuer_param', 'require_pkce', 'latency_ms']],
        ['POST', '/_emulator/apps', ['client_id', 'client_secret', 'name', 'redirect_uris']],
      ] as const
    ).map(([method, path, keys]) =>
      target({
        name: `emulator admin ${method} ${path} with hostile bodies`,
        server: 'emulator',
        serial: true,
        arbitrary: fc.tuple(fc.oneof(fc.constant('1'), hostile), rawFlag, contentTypes, jsonBody(keys)),
        request: ([id, raw, type, body], env) => ({
          method,
          url: `${env.emulator}${path.replace('{id}', encodePart(id, raw))}${method === 'DELETE' ? `?client_id=${encodePart(id, false)}` : ''}`,
          headers: json(type),
          body,
        }),
        // Undo what a valid fuzz body may have changed, so the next request meets the same emulator.
        after: async (env) => {
          await admin.clearFaults();
          await fetch(`${env.emulator}/_emulator/settings`, {
            method: 'PATCH',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ issuer_param: false, require_pkce: false, latency_ms: 0 }),
          }).then((response) => response.text());
          await fetch(`${env.emulator}/_emulator/clock`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ now: new Date().toISOString() }),
          }).then((response) => response.text());
        },
      }),
    ),
    target({
      name: 'emulator admin GET/DELETE state, requests, faults, clock, settings, openapi.json, overview with hostile query and bodies',
      server: 'emulator',
      serial: true,
      arbitrary: fc.tuple(
        fc.constantFrom(
          'GET /_emulator/state',
          'GET /_emulator/requests',
          'DELETE /_emulator/requests',
          'GET /_emulator/faults',
          'DELETE /_emulator/faults',
          'GET /_emulator/clock',
          'GET /_emulator/settings',
          'GET /_emulator/openapi.json',
          'GET /_emulator/',
          'GET /_emulator',
          'GET /favicon.ico',
          'GET /assets/emulator.css',
        ),
        fields(['client_id', 'user_id', 'format']),
        rawFlag,
        jsonBody(['client_id']),
      ),
      request: ([route, query, raw, body], env) => {
        const [method = 'GET', path = '/'] = route.split(' ');
        return {
          method,
          url: `${env.emulator}${path}?${queryString(query, raw)}`,
          headers: { 'content-type': 'application/json' },
          body,
        };
      },
    }),
    target({
      name: 'emulator any method on hostile paths',
      server: 'emulator',
      arbitrary: fc.tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.constantFrom(
          '',
          '/oauth',
          '/v2/oauth/token',
          '/v2/fulfillment/users',
          '/v2/fulfillment_sandbox',
          '/_emulator',
          '/assets',
        ),
        fc.array(hostile, { maxLength: 3 }),
        rawFlag,
      ),
      request: ([method, base, segments, raw], env) => ({
        method,
        url: `${env.emulator}${base}${segments.map((segment) => `/${encodePart(segment, raw)}`).join('')}`,
        headers: { authorization: `Bearer ${env.bearer}` },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '' }),
      }),
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Judging

const MARKER = /<x-fuzz-\d+>/;
const repoPath = REPO_ROOT.replace(/\/$/, '');
/** `at fn (file:line:col)` frames, source paths, repository paths. */
const STACK_TRACE = new RegExp(
  [
    String.raw`\n\s+at (?:async )?[\w$.<>\[\] ]+ \(`,
    String.raw`\bat (?:file:\/\/|\/|node:)[^\s)]+:\d+:\d+`,
    String.raw`\/node_modules\/`,
    String.raw`[\w-]+\.(?:ts|js|mjs):\d+:\d+`,
    repoPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
  ].join('|'),
);

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

async function execute(request: FuzzRequest): Promise<Answer | { error: string; clientSide: boolean }> {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(PER_REQUEST_TIMEOUT_MS),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.text(),
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError')
      return { error: `no answer within ${PER_REQUEST_TIMEOUT_MS} ms`, clientSide: false };
    if (error instanceof TypeError && error.message === 'fetch failed') {
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
      return { error: `connection failed without an answer (${cause})`, clientSide: false };
    }
    // fetch refused to build the request (an invalid URL or header): nothing reached the server.
    return { error: error instanceof Error ? error.message : String(error), clientSide: true };
  }
}

/** What is wrong with an answer, or null. */
function judge(answer: Answer, request: FuzzRequest): string | null {
  if (answer.status >= 500) return `HTTP ${answer.status}`;
  const isAsset = answer.status === 200 && /\/assets\//.test(new URL(request.url).pathname);
  if (!isAsset && STACK_TRACE.test(answer.body))
    return `stack trace or source path in the body: "${STACK_TRACE.exec(answer.body)?.[0]}"`;
  if (/html/i.test(answer.contentType) && MARKER.test(answer.body))
    return 'input reflected unescaped in HTML';
  return null;
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` body=${JSON.stringify(request.body.slice(0, 120))}`;
  return `${request.method} ${request.url.slice(0, 160)}${body}`;
}

let markerCounter = 0;

/** Runs one target; returns its row. */
async function runTarget(target: Target, env: FuzzEnv, runs: number, seed: number) {
  const builders = target.build(runs, seed);
  const failures: string[] = [];
  const statuses: string[] = [];
  let clientRefused = 0;
  await mapLimit(builders, target.serial ? 1 : 8, async (build) => {
    const marker = `<x-fuzz-${++markerCounter}>`;
    const request = build(env, marker);
    const answer = await execute(request);
    if (target.after) await target.after(env);
    if ('error' in answer) {
      if (answer.clientSide) clientRefused++;
      else failures.push(`${answer.error}: ${describeRequest(request)}`);
      return;
    }
    statuses.push(String(answer.status));
    const problem = judge(answer, request);
    if (problem) failures.push(`${problem}: ${describeRequest(request)}`);
  });
  return { failures, statuses, clientRefused };
}

/** Runs section 5. */
export async function runFuzz(ctx: SectionContext): Promise<void> {
  const { report } = ctx;
  const scope = new Scope();
  const runsFor = (target: Target) => (ctx.quick ? Math.min(target.runs, 50) : target.runs);
  try {
    // Hundreds of log-in posts come from 127.0.0.1, at the same few emails: the emulator's log-in
    // limits are raised explicitly, so that these rows test the form's input handling, not the
    // throttle (the emulator's own tests attack the throttle).
    const emulator = await startEmulatorChild(scope, 'emulator (fuzz)', [
      '--login-attempts-per-address',
      '1000000',
      '--login-failures-per-account',
      '1000000',
    ]);
    const admin = new EmulatorAdmin(emulator.url);
    const sandbox = new Sandbox(emulator.url);
    const port = await findFreePort();
    const databasePath = join(ctx.tmpDir, 'fuzz.db');
    const shop = await startStorefrontChild(scope, {
      name: 'storefront (fuzz)',
      port,
      databaseUrl: databasePath,
      emulatorUrl: emulator.url,
    });
    const redirectUri = `${shop.url}/account/profile`;
    await admin.registerApp([redirectUri]);
    const { db } = await openDatabase<StorefrontDatabase>(databasePath);
    scope.add('close fuzz database handle', () => db.destroy());
    const [shopper] = await createShoppers(db, admin, 1, 'fuzz');
    if (!shopper) throw new Error('no fuzz shopper');

    // Sessions: a linked shopper with a cart, the admin, and a signed-out visitor on /signin.
    const shopperClient = new ShopClient(shop.url);
    const linked = await runLinkFlow(shopperClient, shopper, sandbox);
    const home = await shopperClient.send('GET', '/');
    const adminClient = new ShopClient(shop.url);
    await signIn(adminClient, 'admin@example.com', 'cartlink-demo');
    const anonClient = new ShopClient(shop.url);
    const signInPage = await anonClient.send('GET', '/signin');
    const emulatorJar = new CookieJar();
    const authorizeResponse = await fetch(
      `${emulator.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: redirectUri, scope: 'account_linking', state: 'fuzz' })}`,
    );
    emulatorJar.store(authorizeResponse.headers.getSetCookie());
    const loginPage = await authorizeResponse.text();
    const env: FuzzEnv = {
      shop: shop.url,
      emulator: emulator.url,
      redirectUri,
      shopperCookie: shopperClient.jar.header() ?? '',
      shopperCsrf: readCsrf(home.body) ?? '',
      adminCookie: adminClient.jar.header() ?? '',
      anonCookie: anonClient.jar.header() ?? '',
      anonCsrf: readCsrf(signInPage.body) ?? '',
      bearer: await sandbox.fulfillmentToken(),
      emulatorLogin: {
        cookie: emulatorJar.header() ?? '',
        csrf: /name="csrf_token" value="([^"]+)"/.exec(loginPage)?.[1] ?? '',
        authorizationId: /name="authorization_id" value="([^"]+)"/.exec(loginPage)?.[1] ?? '',
      },
    };
    if (linked.outcome !== 'linked' || !env.shopperCsrf || !env.anonCsrf || !env.emulatorLogin.csrf) {
      throw new Error(`fuzz setup incomplete (link ${linked.outcome})`);
    }

    const targets = [...storefrontTargets(ctx.quick), ...emulatorTargets(ctx.quick, admin)];
    let totalRequests = 0;
    for (const [index, target] of targets.entries()) {
      const runs = runsFor(target);
      const { failures, statuses, clientRefused } = await runTarget(target, env, runs, SEED + index);
      totalRequests += runs;
      report.add({
        section: SECTION,
        did: `${target.name}: ${runs} fast-check runs (seed ${SEED + index})`,
        expected:
          'an answer < 500 to every request; no stack trace or source path; no raw <x-fuzz-N> in HTML',
        happened: `statuses ${histogram(statuses)}${clientRefused ? `; ${clientRefused} not sendable by fetch` : ''}; failures ${failures.length}${failures.length ? `: ${[...new Set(failures)].slice(0, 3).join(' ‖ ')}` : ''}`,
        ok: failures.length === 0,
      });
      if (target.server === 'emulator' && target.name.includes('/_emulator/apps'))
        await admin.registerApp([redirectUri]);
    }

    // Stored input: hostile shop-user names and emails on the storefront's own pages.
    {
      const runs = ctx.quick ? 5 : 20;
      const names = fc.sample(fc.tuple(hostile, hostile), { numRuns: runs, seed: SEED - 1 });
      const failures: string[] = [];
      const { hashPassword } = await import('@cartlink/storefront');
      const passwordHash = await hashPassword(SHOPPER_PASSWORD);
      for (const [index, [first, last]] of names.entries()) {
        const marker = `<x-fuzz-${++markerCounter}>`;
        const email = `fz-${index}-${marker}@x.test`;
        await db
          .insertInto('shop_users')
          .values({
            id: `fuzz-${index}-${Date.now()}`,
            email,
            first_name: materialize(`{M}${first}`, marker).slice(0, 2_000),
            last_name: materialize(last, marker).slice(0, 2_000),
            password_hash: passwordHash,
            role: 'shopper',
            created_at: Date.now(),
          })
          .execute();
        const client = new ShopClient(shop.url);
        const signedIn = await signIn(client, email, SHOPPER_PASSWORD);
        if (!signedIn.ok) {
          failures.push(`sign-in ${signedIn.status} for ${JSON.stringify(email)}`);
          continue;
        }
        for (const path of ['/', '/account/profile', '/cart', '/orders']) {
          const page = await client.send('GET', path);
          if (page.status >= 500) failures.push(`HTTP ${page.status} on ${path}`);
          else if (MARKER.test(page.body)) failures.push(`name/email reflected unescaped on ${path}`);
        }
      }
      report.add({
        section: SECTION,
        did: `storefront stored input: ${runs} shop users with hostile names and <x-fuzz-N> in name and email (inserted into shop_users), each signs in; /, /account/profile, /cart, /orders`,
        expected: 'pages render (< 500); the marker never appears raw',
        happened: failures.length ? failures.slice(0, 3).join(' ‖ ') : 'all escaped',
        ok: failures.length === 0,
      });
    }

    // Stored input on the emulator: an application named with the marker, shown on its login page.
    {
      const runs = ctx.quick ? 5 : 20;
      const names = fc.sample(hostile, { numRuns: runs, seed: SEED - 2 });
      const failures: string[] = [];
      for (const [index, name] of names.entries()) {
        const marker = `<x-fuzz-${++markerCounter}>`;
        const clientId = `fuzz-app-${index}`;
        const register = await fetch(`${emulator.url}/_emulator/apps`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            client_id: clientId,
            client_secret: 'fuzz-secret',
            name: materialize(`{M}${name}`, marker).slice(0, 255),
            redirect_uris: ['http://127.0.0.1:9/callback'],
          }),
        });
        await register.text();
        if (!register.ok) continue;
        const page = await fetch(
          `${emulator.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: 'http://127.0.0.1:9/callback', scope: 'account_linking' })}`,
        );
        const body = await page.text();
        if (page.status >= 500) failures.push(`HTTP ${page.status}`);
        else if (MARKER.test(body)) failures.push(`application name reflected unescaped (${clientId})`);
      }
      const overview = await fetch(`${emulator.url}/_emulator/`);
      const overviewBody = await overview.text();
      if (overview.status >= 500) failures.push(`/_emulator/ overview HTTP ${overview.status}`);
      else if (MARKER.test(overviewBody))
        failures.push(`/_emulator/ overview shows fuzz input raw: ${MARKER.exec(overviewBody)?.[0]}`);
      report.add({
        section: SECTION,
        did: `emulator stored input: ${runs} apps named with <x-fuzz-N> and hostile text, each opened on /oauth/authorize; then GET /_emulator/ (which lists every account, Connect user and app the fuzzing stored)`,
        expected: 'pages render (< 500); the marker never appears raw',
        happened: failures.length ? failures.slice(0, 3).join(' ‖ ') : 'all escaped',
        ok: failures.length === 0,
      });
    }

    // Last, because it re-seeds the emulator: POST /_emulator/reset with hostile bodies.
    {
      const resetTarget = target({
        name: 'emulator admin POST /_emulator/reset with hostile bodies',
        server: 'emulator',
        runs: 40,
        serial: true,
        arbitrary: fc.tuple(contentTypes, jsonBody(['seed', 'keep'])),
        request: ([type, body], current) => ({
          method: 'POST',
          url: `${current.emulator}/_emulator/reset`,
          headers: withType(type, 'application/json'),
          body,
        }),
      });
      const runs = runsFor(resetTarget);
      const { failures, statuses } = await runTarget(resetTarget, env, runs, SEED - 3);
      totalRequests += runs;
      report.add({
        section: SECTION,
        did: `${resetTarget.name}: ${runs} fast-check runs (seed ${SEED - 3})`,
        expected:
          'an answer < 500 to every request; no stack trace or source path; no raw <x-fuzz-N> in HTML',
        happened: `statuses ${histogram(statuses)}; failures ${failures.length}${failures.length ? `: ${[...new Set(failures)].slice(0, 3).join(' ‖ ')}` : ''}`,
        ok: failures.length === 0,
      });
    }

    const shopErrors = shop.errorLines();
    const emulatorErrors = emulator.errorLines();
    report.add({
      section: SECTION,
      did: `after ${totalRequests} fuzz requests: the storefront's error-level logs and the emulator's "unexpected error" lines`,
      expected: 'none (every hostile input is refused as a client error, not an internal one)',
      happened: `storefront ${shopErrors.length}${shopErrors.length ? ` (${shopErrors.slice(0, 2).join(' | ')})` : ''}; emulator ${emulatorErrors.length}${emulatorErrors.length ? ` (${emulatorErrors.slice(0, 2).join(' | ')})` : ''}`,
      ok: shopErrors.length === 0 && emulatorErrors.length === 0,
    });
  } finally {
    const failures = await scope.close();
    if (failures.length > 0) {
      report.add({
        section: SECTION,
        did: 'cleanup',
        expected: 'children stopped',
        happened: failures.join('; '),
        ok: false,
      });
    }
  }
}
