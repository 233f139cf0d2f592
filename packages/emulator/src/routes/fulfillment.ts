/**
 * Fulfillment users: get account information, link user accounts, create user.
 *
 * @see docs/connect-api.md §3
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { type BodyResult, readJsonObject } from '../body.js';
import { formatConnectTime } from '../clock.js';
import type { AppEnv, EmulatorContext } from '../context.js';
import { getMembership } from '../domain.js';
import { connectError, jsonResponse } from '../responses.js';
import { toFieldError } from '../validation.js';
import { authenticateFulfillment } from './bearer.js';

/** Characters Connect refuses in names (docs/connect-api.md §3c). */
const FORBIDDEN_NAME_CHARACTERS = /[/:<>$%?]/;
/** E.164: a plus, then up to 15 digits, the first not zero. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;
const LOCALE_PATTERN = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;

const name = z
  .string()
  .max(255)
  .refine((value) => !FORBIDDEN_NAME_CHARACTERS.test(value), { message: 'is invalid' });

const createUserSchema = z.object({
  user_id: z
    .string()
    .min(1)
    .max(255)
    .refine((value) => value.trim() !== '', { message: "can't be blank" }),
  first_name: name.refine((value) => value.trim() !== '', { message: "can't be blank" }),
  last_name: name.nullable().optional(),
  phone_number: z.string().regex(E164_PATTERN).nullable().optional(),
  locale: z.string().regex(LOCALE_PATTERN).nullable().optional(),
});

/** A refused body, in Connect's error shape. */
export function bodyError(result: Extract<BodyResult<unknown>, { ok: false }>): Response {
  return connectError(result.failure === 'too_large' ? 413 : 400, result.message, 1001, 'body');
}

/** Registers `GET`/`POST /v2/fulfillment/users/{user_id}/link` and `POST /v2/fulfillment/users`. */
export function registerFulfillmentRoutes(app: Hono<AppEnv>, ctx: EmulatorContext): void {
  app.get('/v2/fulfillment/users/:user_id/link', (c) => {
    const auth = authenticateFulfillment(c.req.header('authorization'), ctx);
    if (!auth.ok) return auth.response;
    const { retailerId } = auth;
    const userId = c.req.param('user_id');
    const user = ctx.state.getConnectUser(retailerId, userId);
    if (!user) return connectError(400, 'User Not Found', 1001, 'user_id');
    if (!user.active) return connectError(403, 'User Not Active', null);
    const link = ctx.state.getLink(retailerId, userId);
    const account = link && ctx.state.instacartUsers.get(link.instacartUserId);
    if (!account) return connectError(400, 'User Not Linked', 1001, 'user_id');
    if (!account.active) return connectError(403, 'User Not Active', null);
    const membership = getMembership(account, ctx.clock.nowMs());
    return jsonResponse({
      instacartplus_member: membership.instacartplusMember,
      // Deprecated upstream; it mirrors instacartplus_member.
      express_member: membership.instacartplusMember,
      ...(membership.expiredAt === null ? {} : { expired_at: formatConnectTime(membership.expiredAt) }),
    });
  });

  app.post('/v2/fulfillment/users/:user_id/link', async (c) => {
    const auth = authenticateFulfillment(c.req.header('authorization'), ctx);
    if (!auth.ok) return auth.response;
    const parsed = await readJsonObject(c.req.raw);
    if (!parsed.ok) return bodyError(parsed);
    const { retailerId } = auth;
    const clientId = auth.token.clientId;
    const userId = c.req.param('user_id');
    const user = ctx.state.getConnectUser(retailerId, userId);
    if (!user) return connectError(400, 'User Not Found', 1001, 'user_id');
    if (!user.active) return connectError(403, 'User Not Active', null);

    const linkingToken = parsed.value.linking_token;
    if (linkingToken === undefined || linkingToken === null || linkingToken === '') {
      return connectError(400, "can't be blank", 1001, 'linking_token');
    }
    const nowMs = ctx.clock.nowMs();
    const token = typeof linkingToken === 'string' ? ctx.state.tokens.get(linkingToken) : undefined;
    const account =
      token?.instacartUserId != null ? ctx.state.instacartUsers.get(token.instacartUserId) : undefined;
    // A linking token of any application of the retailer will do: during a credential rotation the
    // code may be exchanged by the old application and the link made with the new one's token.
    if (
      !token ||
      !account ||
      token.kind !== 'linking' ||
      ctx.state.retailerOf(token.clientId) !== retailerId ||
      token.revokedAt !== null ||
      token.expiresAt <= nowMs
    ) {
      return connectError(400, 'Linking token is invalid', 1001, 'linking_token');
    }
    if (!account.active) return connectError(403, 'User Not Active', null);
    if (ctx.state.linkAccounts(retailerId, clientId, userId, account.id, nowMs) === 'conflict') {
      return connectError(
        400,
        'Validation failed: Common identities can only have one user per isolation context',
        1001,
        'linking_token',
      );
    }
    return jsonResponse({ success: true });
  });

  app.post('/v2/fulfillment/users', async (c) => {
    const auth = authenticateFulfillment(c.req.header('authorization'), ctx);
    if (!auth.ok) return auth.response;
    const parsed = await readJsonObject(c.req.raw);
    if (!parsed.ok) return bodyError(parsed);
    const result = createUserSchema.safeParse(parsed.value);
    if (!result.success) {
      const error = toFieldError(result.error, parsed.value);
      return connectError(400, error.message, 1001, error.key);
    }
    const input = result.data;
    const user = ctx.state.createConnectUser(
      auth.retailerId,
      auth.token.clientId,
      {
        userId: input.user_id,
        firstName: input.first_name,
        lastName: input.last_name ?? null,
        phoneNumber: input.phone_number ?? null,
        locale: input.locale ?? null,
      },
      ctx.clock.nowMs(),
    );
    if (!user) return connectError(400, 'User already exists', 1001, 'user_id');
    return jsonResponse({
      user_id: user.userId,
      first_name: user.firstName,
      last_name: user.lastName,
      phone_number: user.phoneNumber,
      locale: user.locale,
    });
  });
}
