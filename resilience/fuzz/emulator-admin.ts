/**
 * @module Section 5's admin API of the emulator (`/_emulator/`): every call that changes state with
 * hostile bodies (each undone after every request, so the next one meets the same emulator), the
 * reading calls and pages, and last `POST /_emulator/reset`, which re-seeds the emulator.
 */
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import fc from 'fast-check';
import { registerShop } from '../lib/instacart';
import {
  contentTypes,
  encodePart,
  fields,
  hostile,
  jsonBody,
  queryString,
  rawFlag,
  withType,
} from './hostile';
import { type FuzzEnv, type Target, target } from './target';

const json = (type: string) => withType(type, 'application/json');

/** The admin API's calls, in run order (the order fixes each target's seed). */
export function adminApiTargets(admin: EmulatorAdmin): Target[] {
  /** Undoes what a valid fuzz body may have changed, so the next request meets the same emulator. */
  const undo = async () => {
    await admin.clearFaults();
    await admin.updateSettings({ issuer_param: false, require_pkce: false, latency_ms: 0 });
    await admin.setClock({ now: new Date().toISOString() });
  };
  return [
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
        after: undo,
        // A valid body may have replaced the shop's application: register it again for what follows.
        ...(path === '/_emulator/apps'
          ? { afterAll: (env: FuzzEnv) => registerShop(admin, [env.redirectUri]) }
          : {}),
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
  ];
}

/** `POST /_emulator/reset` with hostile bodies: last of the run, because it re-seeds the emulator. */
export const resetTarget: Target = target({
  name: 'emulator admin POST /_emulator/reset with hostile bodies',
  server: 'emulator',
  runs: 40,
  serial: true,
  arbitrary: fc.tuple(contentTypes, jsonBody(['seed', 'keep'])),
  request: ([type, body], env) => ({
    method: 'POST',
    url: `${env.emulator}/_emulator/reset`,
    headers: json(type),
    body,
  }),
});
