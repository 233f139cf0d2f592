/**
 * The development server's sandbox endpoints: create an Instacart account, and obtain an
 * authorization code for it without the browser. Both need a fulfillment token; the code is
 * issued to the application that token belongs to, with the authorization endpoint's rules: a
 * disabled application's token still authenticates, but gets no code (it could never exchange it).
 *
 * @see docs/connect-api.md §4
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { checkPkceParameters, isRegisteredRedirectUri } from '../authorization.js';
import { readJsonObject } from '../body.js';
import type { AppEnv, EmulatorContext } from '../context.js';
import { DuplicateEmailError } from '../domain.js';
import { connectError, jsonResponse } from '../responses.js';
import { toFieldError } from '../validation.js';
import { authenticateFulfillment } from './bearer.js';
import { bodyError } from './fulfillment.js';

const createInstacartUserSchema = z.object({
  email: z.email().max(254),
  phone: z.string().max(32).nullable().optional(),
  password: z.string().min(1).max(256),
  instacartplus_member: z.boolean().optional(),
  express_member: z.boolean().optional(),
});

const authorizeSchema = z.object({
  redirect_uri: z.string().min(1).max(2048),
  scope: z.string().min(1),
  code_challenge_method: z.string().optional(),
  code_challenge: z.string().optional(),
});

const ID_PATTERN = /^[1-9]\d{0,9}$/;

/** Registers the two sandbox endpoints. */
export function registerSandboxRoutes(app: Hono<AppEnv>, ctx: EmulatorContext): void {
  app.post('/v2/fulfillment_sandbox/instacart_users', async (c) => {
    const auth = authenticateFulfillment(c.req.header('authorization'), ctx);
    if (!auth.ok) return auth.response;
    const parsed = await readJsonObject(c.req.raw);
    if (!parsed.ok) return bodyError(parsed);
    const result = createInstacartUserSchema.safeParse(parsed.value);
    if (!result.success) {
      const error = toFieldError(result.error, parsed.value);
      return connectError(400, error.message, 1001, error.key);
    }
    const input = result.data;
    try {
      const user = ctx.state.createInstacartUser(
        {
          email: input.email,
          passwordHash: ctx.passwords.hash(input.password),
          phone: input.phone ?? null,
          // express_member is the deprecated name of the same membership.
          instacartplusMember: input.instacartplus_member ?? input.express_member ?? false,
        },
        ctx.clock.nowMs(),
      );
      return jsonResponse({ id: user.id });
    } catch (error) {
      if (error instanceof DuplicateEmailError) {
        return connectError(400, 'An account already exists with this email', 1001, 'email');
      }
      throw error;
    }
  });

  app.post('/v2/fulfillment_sandbox/instacart_users/:id/authorize', async (c) => {
    const auth = authenticateFulfillment(c.req.header('authorization'), ctx);
    if (!auth.ok) return auth.response;
    const parsed = await readJsonObject(c.req.raw);
    if (!parsed.ok) return bodyError(parsed);
    const id = c.req.param('id');
    const account = ID_PATTERN.test(id) ? ctx.state.instacartUsers.get(Number(id)) : undefined;
    if (!account?.active) return connectError(400, 'Invalid user_id', 1001, 'user_id');
    const result = authorizeSchema.safeParse(parsed.value);
    if (!result.success) {
      const error = toFieldError(result.error, parsed.value);
      return connectError(400, error.message, 1001, error.key);
    }
    const input = result.data;
    const clientId = auth.token.clientId;
    if (!isRegisteredRedirectUri(ctx.state, clientId, input.redirect_uri)) {
      return connectError(400, 'Invalid redirect_uri', 1001, 'redirect_uri');
    }
    const client = ctx.state.apps.get(clientId);
    if (input.scope !== 'account_linking' || !client?.scopes.includes('account_linking')) {
      return connectError(400, 'Invalid scope', 1001, 'scope');
    }
    if (client.status !== 'enabled') {
      return connectError(400, 'The application is disabled', 1001, 'client_id');
    }
    const pkce = checkPkceParameters(
      input.code_challenge,
      input.code_challenge_method,
      ctx.settings.requirePkce,
    );
    if (!pkce.ok) return connectError(400, `Invalid ${pkce.field}`, 1001, pkce.field);
    const code = ctx.state.issueCode(
      {
        clientId,
        redirectUri: input.redirect_uri,
        instacartUserId: account.id,
        codeChallenge: pkce.codeChallenge,
      },
      ctx.clock.nowMs(),
    );
    return jsonResponse({ code });
  });
}
