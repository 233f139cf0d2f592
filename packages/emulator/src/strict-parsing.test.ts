/**
 * Strict input parsing: whatever arrives in a body, every Connect endpoint answers with a
 * documented 4xx (or a success), never a 5xx. The validating fetch checks each answer against the
 * OpenAPI document on top of the assertions here.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SEED } from './seed.js';
import { BASE, createTestEmulator, type TestEmulator } from './test-support/harness.js';

const ENDPOINTS = [
  '/v2/oauth/token',
  '/v2/oauth/token/revoke',
  '/v2/fulfillment/users',
  '/v2/fulfillment/users/someone/link',
  '/v2/fulfillment_sandbox/instacart_users',
  '/v2/fulfillment_sandbox/instacart_users/1/authorize',
];
const FIELDS = [
  'grant_type',
  'client_id',
  'client_secret',
  'scope',
  'code',
  'redirect_uri',
  'code_verifier',
  'token',
  'user_id',
  'first_name',
  'last_name',
  'phone_number',
  'locale',
  'linking_token',
  'email',
  'password',
  'phone',
  'instacartplus_member',
  'code_challenge',
  'code_challenge_method',
  '__proto__',
  'constructor',
];

let t: TestEmulator;
let auth: string;
beforeAll(async () => {
  t = createTestEmulator();
  auth = `Bearer ${await t.fulfillmentToken()}`;
});

async function send(path: string, body: BodyInit, contentType: string | undefined): Promise<number> {
  const headers: Record<string, string> = { authorization: auth };
  if (contentType !== undefined) headers['content-type'] = contentType;
  const response = await t.fetch(`${BASE}${path}`, { method: 'POST', headers, body });
  await response.arrayBuffer();
  return response.status;
}

const plausibleValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    'client_credentials',
    'authorization_code',
    DEMO_SEED.app.clientId,
    DEMO_SEED.app.clientSecret,
    DEMO_SEED.app.redirectUri,
    'connect:fulfillment',
    'account_linking',
    'S256',
    '+15145550123',
    'a@b.test',
  ),
);

describe('strict parsing', () => {
  it('answers random JSON objects with documented statuses, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        fc.dictionary(fc.constantFrom(...FIELDS), plausibleValue, { maxKeys: 8 }),
        async (path, body) => {
          const status = await send(path, JSON.stringify(body), 'application/json');
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers random text, bytes and content types with 4xx, never a 5xx', async () => {
    const payload = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        payload,
        fc.constantFrom(
          undefined,
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/vnd.api+json',
        ),
        async (path, body, contentType) => {
          const status = await send(path, body, contentType);
          expect(status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses malformed JSON, wrong types and missing fields with 400 and oversized bodies with 413', async () => {
    expect(await send('/v2/fulfillment/users', '{"user_id": "a", ', 'application/json')).toBe(400);
    expect(
      await send('/v2/fulfillment/users', '{"user_id": 1, "first_name": true}', 'application/json'),
    ).toBe(400);
    expect(await send('/v2/fulfillment/users', '{}', 'application/json')).toBe(400);
    expect(await send('/v2/fulfillment/users', '\xff\xfe', 'application/json')).toBe(400);
    expect(await send('/v2/fulfillment/users', new Uint8Array([0x7b, 0xff, 0x7d]), 'application/json')).toBe(
      400,
    );
    expect(await send('/v2/fulfillment/users', `[${'['.repeat(20_000)}`, 'application/json')).toBe(400);
    const big = JSON.stringify({ user_id: 'big', first_name: 'x'.repeat(64 * 1024) });
    expect(await send('/v2/fulfillment/users', big, 'application/json')).toBe(413);
    // A streamed body without Content-Length is counted as it arrives.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new Uint8Array(1024).fill(0x20));
        controller.close();
      },
    });
    const response = await t.fetch(`${BASE}/v2/fulfillment/users`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });
});
