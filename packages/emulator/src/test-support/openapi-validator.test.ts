import { describe, expect, it } from 'vitest';
import { createOpenApiDocument } from '../openapi.js';
import { createOpenApiValidator, createValidatingFetch, OpenApiMismatchError } from './openapi-validator.js';

const document = createOpenApiDocument('http://emulator.test');
const validator = createOpenApiValidator(document);
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const LINK = 'http://emulator.test/v2/fulfillment/users/u/link';

describe('OpenAPI validator', () => {
  it('accepts documented responses', async () => {
    expect(
      await validator.check(
        'GET',
        LINK,
        json({ instacartplus_member: true, express_member: true, expired_at: '2025-09-22T07:14:43Z' }),
      ),
    ).toBe(true);
    expect(
      await validator.check(
        'GET',
        LINK,
        json({ error: { message: 'User Not Found', code: 1001 }, meta: { key: 'user_id' } }, 400),
      ),
    ).toBe(true);
  });

  it('ignores what is not a Connect path', async () => {
    expect(
      await validator.check('GET', 'http://emulator.test/_emulator/state', json({ anything: true })),
    ).toBe(false);
  });

  it.each([
    ['an undocumented field', json({ instacartplus_member: true, express_member: true, extra: 1 })],
    ['a wrong type', json({ instacartplus_member: 'yes', express_member: true })],
    ['a bad date-time', json({ instacartplus_member: true, express_member: true, expired_at: 'soon' })],
    ['an undocumented status', json({ error: { message: 'x', code: null } }, 418)],
    ['a wrong media type', new Response('{}', { status: 200, headers: { 'content-type': 'text/plain' } })],
    [
      'a body that is not JSON',
      new Response('nope', { status: 200, headers: { 'content-type': 'application/json' } }),
    ],
  ])('rejects %s', async (_name, response) => {
    await expect(validator.check('GET', LINK, response)).rejects.toThrow(OpenApiMismatchError);
  });

  it('checks required headers (no-store on the token endpoint)', async () => {
    const token = {
      access_token: 'x'.repeat(43),
      token_type: 'Bearer',
      expires_in: 86400,
      scope: 'connect:fulfillment',
      created_at: 1,
    };
    const url = 'http://emulator.test/v2/oauth/token';
    expect(await validator.check('POST', url, json(token, 200, { 'cache-control': 'no-store' }))).toBe(true);
    await expect(validator.check('POST', url, json(token))).rejects.toThrow(/Cache-Control/);
  });

  it('allows only a 404 in the error shape on undocumented Connect paths', async () => {
    expect(
      await validator.check(
        'GET',
        'http://emulator.test/v2/nothing',
        json({ error: { message: 'Not Found', code: null } }, 404),
      ),
    ).toBe(true);
    await expect(validator.check('GET', 'http://emulator.test/v2/nothing', json({}, 200))).rejects.toThrow(
      OpenApiMismatchError,
    );
  });

  it('makes the wrapped fetch reject on a mismatch and count what it checked', async () => {
    const wrapped = createValidatingFetch(async () => json({ success: 'yes' }), document);
    await expect(wrapped(LINK, { method: 'POST' })).rejects.toThrow(OpenApiMismatchError);
    const good = createValidatingFetch(async () => json({ success: true }), document);
    await good(LINK, { method: 'POST' });
    expect(good.checked).toBe(1);
  });
});
