/**
 * zod schemas for everything that enters from Connect. Objects are not strict: extra fields are
 * tolerated (and dropped), because the real service wins over our reading of it.
 */
import { z } from 'zod';

/**
 * Response of `POST /v2/oauth/token`, both grants. `token_type` is compared case-insensitively
 * (RFC 6749 section 5.1 makes it so) and normalised to `Bearer`.
 *
 * `created_at` is optional here although Connect documents it: an authorization code is single
 * use and its exchange is never retried, so refusing a usable token over an informational field
 * would cost the customer the whole link. The client fills it in from its clock when absent.
 *
 * @see docs/connect-api.md sections 2a, 2b
 */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z
    .string()
    .refine((value) => value.toLowerCase() === 'bearer', 'token_type must be Bearer')
    .transform(() => 'Bearer' as const),
  expires_in: z.number().nonnegative(),
  scope: z.string().nullish(),
  created_at: z.number().nonnegative().nullish(),
  refresh_token: z.string().nullish(),
});

/**
 * Response of `GET /v2/fulfillment/users/{user_id}/link`. `expired_at` is present only when a
 * subscription exists; `express_member` is deprecated and may go.
 *
 * @see docs/connect-api.md section 3a
 */
export const linkStatusSchema = z
  .object({
    instacartplus_member: z.boolean(),
    express_member: z.boolean().nullish(),
    expired_at: z.iso.datetime({ offset: true }).nullish(),
  })
  .transform((raw) => ({
    instacartplusMember: raw.instacartplus_member,
    expressMember: raw.express_member ?? null,
    expiredAt: raw.expired_at ? new Date(raw.expired_at) : null,
  }));

/**
 * Response of `POST /v2/fulfillment/users/{user_id}/link`: `{"success":true}`. A body saying
 * `success: false` with a 2xx status is not in the contract and is refused.
 *
 * @see docs/connect-api.md section 3b
 */
/**
 * `{"success": true}` and nothing less: a 200 of another shape is no evidence that Instacart linked
 * the accounts, so it must not become a "linked" dialog.
 */
export const linkResultSchema = z.object({ success: z.literal(true) });

/**
 * Response of `POST /v2/fulfillment/users`: the user echoed back.
 *
 * @see docs/connect-api.md section 3c
 */
export const connectUserSchema = z
  .object({
    user_id: z.union([z.string().min(1), z.number().transform(String)]),
    first_name: z.string(),
    last_name: z.string().nullish(),
    phone_number: z.string().nullish(),
    locale: z.string().nullish(),
  })
  .transform((raw) => ({
    userId: raw.user_id,
    firstName: raw.first_name,
    lastName: raw.last_name ?? null,
    phoneNumber: raw.phone_number ?? null,
    locale: raw.locale ?? null,
  }));

/**
 * Response of `POST /v2/oauth/token/revoke`: `{}` (RFC 7009 allows any body, so an empty one too).
 *
 * @see docs/connect-api.md section 2c
 */
export const revokeResultSchema = z.union([z.object({}), z.undefined()]);

/**
 * Response of `POST /v2/fulfillment_sandbox/instacart_users`.
 *
 * @see docs/connect-api.md section 4
 */
export const sandboxUserSchema = z.object({ id: z.number().int() }).transform((raw) => ({ id: raw.id }));

/**
 * Response of `POST /v2/fulfillment_sandbox/instacart_users/{id}/authorize`.
 *
 * @see docs/connect-api.md section 4
 */
export const sandboxAuthorizeSchema = z
  .object({ code: z.string().min(1) })
  .transform((raw) => ({ code: raw.code }));

/**
 * OAuth error body of the token and revocation endpoints.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export const oauthErrorBodySchema = z.object({
  error: z.string().min(1),
  error_description: z.string().nullish(),
});

/**
 * Connect's single API error shape: `{"error":{"message","code"},"meta":{"key"}}`.
 *
 * @see docs/connect-api.md section 5
 */
export const apiErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    code: z
      .union([z.number(), z.string()])
      .nullish()
      .transform((code) => {
        const numeric = typeof code === 'string' && code.trim() !== '' ? Number(code) : code;
        return typeof numeric === 'number' && Number.isFinite(numeric) ? numeric : null;
      }),
  }),
  meta: z.object({ key: z.string().nullish() }).nullish(),
});
