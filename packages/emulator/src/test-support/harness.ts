/**
 * @module Shared set-up of the emulator's own tests: an in-process emulator whose every Connect
 * response goes through the OpenAPI validator, and short-hands for the calls most tests repeat.
 */
import { createEmulator, type Emulator, type EmulatorOptions } from '../emulator.js';
import { createOpenApiDocument } from '../openapi.js';
import { DEMO_SEED } from '../seed.js';
import { createValidatingFetch, type ValidatingFetch } from './openapi-validator.js';

/** The base URL of in-process requests (never resolved: nothing leaves the process). */
export const BASE = 'http://emulator.test';

/** A response with its body read: parsed JSON when it is JSON, else the text. */
export interface TestResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** An in-process emulator with validated fetch and short-hands. */
export interface TestEmulator {
  emulator: Emulator;
  fetch: ValidatingFetch;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  /** A fresh fulfillment token of the demo application (or `clientId`). */
  fulfillmentToken(clientId?: string, clientSecret?: string): Promise<string>;
  /** A linking token for an Instacart account, through the sandbox authorize call and the code grant. */
  linkingToken(instacartUserId: number, fulfillmentToken: string): Promise<string>;
  /** Creates a Connect user and links it to an Instacart account; returns the fulfillment token used. */
  linkUser(userId: string, instacartUserId: number): Promise<string>;
}

async function read(response: Response): Promise<TestResponse> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
    const parsed: unknown = JSON.parse(text);
    body =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { value: parsed };
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Creates the test emulator (demo seed unless told otherwise). */
export function createTestEmulator(options: EmulatorOptions = {}): TestEmulator {
  const emulator = createEmulator({ issuer: BASE, ...options });
  const fetch = createValidatingFetch(emulator.fetch, createOpenApiDocument(BASE));

  const request: TestEmulator['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return read(await fetch(`${BASE}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }));
  };

  const fulfillmentToken: TestEmulator['fulfillmentToken'] = async (
    clientId = DEMO_SEED.app.clientId,
    clientSecret = DEMO_SEED.app.clientSecret,
  ) => {
    const response = await request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'connect:fulfillment',
      },
    });
    if (response.status !== 200) throw new Error(`fulfillment token: ${response.status} ${response.text}`);
    return String(response.body.access_token);
  };

  const linkingToken: TestEmulator['linkingToken'] = async (instacartUserId, token) => {
    const authorized = await request(
      'POST',
      `/v2/fulfillment_sandbox/instacart_users/${instacartUserId}/authorize`,
      {
        headers: { authorization: `Bearer ${token}` },
        body: { redirect_uri: DEMO_SEED.app.redirectUri, scope: 'account_linking' },
      },
    );
    if (authorized.status !== 200)
      throw new Error(`sandbox authorize: ${authorized.status} ${authorized.text}`);
    const exchanged = await request('POST', '/v2/oauth/token', {
      body: {
        grant_type: 'authorization_code',
        client_id: DEMO_SEED.app.clientId,
        client_secret: DEMO_SEED.app.clientSecret,
        code: authorized.body.code,
        redirect_uri: DEMO_SEED.app.redirectUri,
      },
    });
    if (exchanged.status !== 200) throw new Error(`code exchange: ${exchanged.status} ${exchanged.text}`);
    return String(exchanged.body.access_token);
  };

  const linkUser: TestEmulator['linkUser'] = async (userId, instacartUserId) => {
    const token = await fulfillmentToken();
    const auth = { authorization: `Bearer ${token}` };
    const created = await request('POST', '/v2/fulfillment/users', {
      headers: auth,
      body: { user_id: userId, first_name: 'Alex' },
    });
    if (created.status !== 200) throw new Error(`create user: ${created.status} ${created.text}`);
    const linked = await request('POST', `/v2/fulfillment/users/${userId}/link`, {
      headers: auth,
      body: { linking_token: await linkingToken(instacartUserId, token) },
    });
    if (linked.status !== 200) throw new Error(`link: ${linked.status} ${linked.text}`);
    return token;
  };

  return { emulator, fetch, request, fulfillmentToken, linkingToken, linkUser };
}

/**
 * Wraps any fetch (an emulator's, or the global one for HTTP tests) so that its Connect responses
 * are checked against the OpenAPI document too.
 */
export function validated(
  fetchImpl: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
): ValidatingFetch {
  return createValidatingFetch(fetchImpl, createOpenApiDocument(BASE));
}

/** Demo Instacart account ids, in seeding order. */
export const DEMO_IDS = { plus: 1, basic: 2, lapsed: 3 } as const;
