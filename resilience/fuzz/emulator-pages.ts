/**
 * @module Section 5's emulator pages, the ones a shopper's browser meets at "Instacart": the consent
 * page (`/oauth/authorize`), its log-in, decision and log-out forms, and the sign-up and Instacart+
 * pages the status element links to.
 */
import fc from 'fast-check';
import { SHOP_APP } from '../lib/instacart';
import { contentTypes, fields, form, queryString, rawFlag, withType } from './hostile';
import { type Target, target } from './target';

/** The consent page and its forms, in run order (the order fixes each target's seed). */
export function consentPageTargets(quick: boolean): Target[] {
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
                client_id: SHOP_APP.clientId,
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
  ];
}

/** Instacart's sign-up and Instacart+ pages, with a hostile `next`. */
export const instacartSitePagesTarget: Target = target({
  name: 'emulator GET /signup?next= and /store/account/instacart-plus',
  server: 'emulator',
  arbitrary: fc.tuple(fc.constantFrom('/signup', '/store/account/instacart-plus'), fields(['next']), rawFlag),
  request: ([path, query, raw], env) => ({
    method: 'GET',
    url: `${env.emulator}${path}?${queryString(query, raw)}`,
    headers: {},
  }),
});
