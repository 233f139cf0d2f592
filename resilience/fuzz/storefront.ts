/**
 * @module Section 5's storefront surface: its pages with hostile query strings, the sign-in,
 * sign-out, cart and checkout forms (with a valid CSRF token, so the fields themselves are tested),
 * order and asset paths, the admin's reconciliation report, the linking routes
 * (`/cartlink/status`, `/cartlink/link`, `/cartlink/verify`), any method on hostile paths, and hostile
 * cookies.
 */
import fc from 'fast-check';
import {
  contentTypes,
  encodePart,
  fields,
  form,
  headerValue,
  hostile,
  jsonBody,
  origins,
  queryString,
  rawFlag,
  withOrigin,
  withType,
} from './hostile';
import { type Target, target } from './target';

/** The pages a signed-in shopper opens. */
const SHOPPER_PAGES = ['/', '/cart', '/checkout', '/orders', '/account/profile', '/signin', '/healthz'];
/** Every route of the storefront, as bases for hostile extra segments. */
const KNOWN_STOREFRONT_PATHS = [
  ...SHOPPER_PAGES,
  '/cartlink/status',
  '/cartlink/link',
  '/cartlink/verify',
  '/signout',
  '/cart/items',
  '/admin/reconciliation',
];

/** A JSON post of the status element (`/cartlink/link`, `/cartlink/verify`) in the shopper's session. */
function cartlinkPostTarget(name: string, path: string, keys: readonly string[]): Target {
  return target({
    name,
    server: 'storefront',
    arbitrary: fc.tuple(origins, contentTypes, jsonBody(keys)),
    request: ([origin, type, body], env) => ({
      method: 'POST',
      url: `${env.shop}${path}`,
      headers: {
        cookie: env.shopperCookie,
        ...withOrigin(origin, env.shop),
        ...withType(type, 'application/json'),
      },
      body,
    }),
  });
}

/** Every storefront surface, in run order (the order fixes each target's seed). */
export function storefrontTargets(quick: boolean): Target[] {
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
    cartlinkPostTarget(
      'storefront POST /cartlink/link with hostile JSON bodies, types and origins',
      '/cartlink/link',
      ['code', 'state', 'iss', 'error', 'error_description'],
    ),
    cartlinkPostTarget(
      'storefront POST /cartlink/verify with hostile bodies and origins',
      '/cartlink/verify',
      ['user_id', 'fresh'],
    ),
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
