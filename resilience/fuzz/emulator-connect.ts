/**
 * @module Section 5's Connect API of the emulator, as the storefront (and a hostile client) calls it:
 * the token and revoke endpoints, the fulfillment user and link calls, the sandbox endpoints, and any
 * method on hostile paths under every route prefix.
 */
import fc from 'fast-check';
import { SHOP_APP } from '../lib/instacart';
import {
  contentTypes,
  encodePart,
  fields,
  headerValue,
  hostile,
  jsonBody,
  queryString,
  rawFlag,
  withType,
} from './hostile';
import { type FuzzEnv, type Target, target } from './target';

/** The demo application's own bearer token, or a hostile `Authorization` value. */
const bearer = (env: FuzzEnv, own: boolean, text: string) =>
  own ? `Bearer ${env.bearer}` : headerValue(text);
const json = (type: string) => withType(type, 'application/json');

/** A JSON body the endpoint stores (a Connect user, an Instacart account), with the application's token. */
function storedBodyTarget(name: string, path: string, keys: readonly string[]): Target {
  return target({
    name,
    server: 'emulator',
    arbitrary: fc.tuple(contentTypes, jsonBody(keys)),
    request: ([type, body], env) => ({
      method: 'POST',
      url: `${env.emulator}${path}`,
      headers: { authorization: `Bearer ${env.bearer}`, ...json(type) },
      body,
    }),
  });
}

/** The Connect API's endpoints, in run order (the order fixes each target's seed). */
export function connectApiTargets(): Target[] {
  return [
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
                text = JSON.stringify({
                  ...parsed,
                  client_id: SHOP_APP.clientId,
                  client_secret: SHOP_APP.clientSecret,
                });
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
    storedBodyTarget(
      'emulator POST /v2/fulfillment/users with hostile users (stored)',
      '/v2/fulfillment/users',
      ['user_id', 'first_name', 'last_name', 'phone_number', 'locale'],
    ),
    storedBodyTarget(
      'emulator POST /v2/fulfillment_sandbox/instacart_users with hostile accounts (stored)',
      '/v2/fulfillment_sandbox/instacart_users',
      ['email', 'phone', 'password', 'instacartplus_member', 'express_member'],
    ),
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
  ];
}

/** Any method on hostile paths under each of the emulator's route prefixes. */
export const anyMethodOnEmulatorPathsTarget: Target = target({
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
});
