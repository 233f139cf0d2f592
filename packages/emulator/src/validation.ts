/**
 * The admin API's body schemas, shared with the scenario (file, CLI flags and the `scenario`
 * option), so a body the admin API refuses is refused at start-up too, with the same rules; and the
 * mapping of a refused body's first zod issue into Connect's `{message, meta.key}` vocabulary,
 * with Rails-style messages (`can't be blank`, `is invalid`) like the real service.
 */
import { z } from 'zod';
import { checkRedirectUriForRegistration } from './authorization.js';
import { ALL_APP_SCOPES } from './domain.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const UNIT_MS = { d: DAY_MS, h: 60 * 60 * 1000, m: 60 * 1000, s: 1000 } as const;
/** `+365d`, `-30d`, `+2h`, `-15m`, `+90s`: a time relative to the emulator clock. */
const RELATIVE_TIME = /^([+-])(\d{1,7})([dhms])$/;

const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();

/**
 * When a subscription ends, as the admin API and the scenario take it: an ISO 8601 date-time with
 * an offset (`2027-01-31T00:00:00Z`), a date (`2027-01-31`, midnight UTC), or a time relative to
 * the emulator clock when the value is applied (`+365d`, `-30d`; units `d`, `h`, `m` minutes, `s`).
 */
export const expiryTimeSchema = z
  .string()
  .refine(
    (value) =>
      RELATIVE_TIME.test(value) || isoDateTime.safeParse(value).success || isoDate.safeParse(value).success,
    {
      message:
        'must be an ISO 8601 date-time with offset, a date (YYYY-MM-DD) or a relative time such as +365d or -30d',
    },
  );

/** Epoch milliseconds of a value accepted by {@link expiryTimeSchema}, relative ones from `nowMs`. */
export function resolveExpiryTime(value: string, nowMs: number): number {
  const relative = RELATIVE_TIME.exec(value);
  if (relative) {
    const [, sign, amount, unit] = relative;
    return nowMs + (sign === '-' ? -1 : 1) * Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Date.parse(value);
}

/** A client id, as `POST apps` takes it. */
export const clientIdSchema = z.string().min(1).max(255);

/** One redirect URI to register: absolute http(s), no fragment (RFC 6749 §3.1.2). */
export const redirectUriSchema = z
  .string()
  .max(2048)
  .superRefine((uri, refinement) => {
    const problem = checkRedirectUriForRegistration(uri);
    if (problem) refinement.addIssue({ code: 'custom', message: problem });
  });

/** A client secret, as `POST apps` and `POST apps/{client_id}/clone` take it. */
export const clientSecretSchema = z.string().min(1).max(255);

/** `POST /_emulator/apps`: an OAuth application to register or replace. */
export const appBodySchema = z.strictObject({
  client_id: clientIdSchema,
  client_secret: clientSecretSchema,
  name: z.string().min(1).max(255),
  redirect_uris: z.array(redirectUriSchema).min(1),
  retailer_id: z.string().min(1).max(255).optional(),
  scopes: z.array(z.enum(ALL_APP_SCOPES)).min(1).optional(),
});

/** `POST /_emulator/apps/{client_id}/clone`: what the clone does not take from the original. */
export const cloneAppBodySchema = z.strictObject({
  client_id: clientIdSchema.optional(),
  client_secret: clientSecretSchema.optional(),
  redirect_uris: z.array(redirectUriSchema).min(1).optional(),
});

/** `POST /_emulator/instacart-users`: an Instacart account to create. */
export const instacartUserBodySchema = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(256),
  instacartplus_member: z.boolean(),
  expired_at: expiryTimeSchema.nullable().optional(),
  phone: z.string().max(32).nullable().optional(),
});

/** `PATCH /_emulator/instacart-users/{id}`: a change of membership or activity. */
export const instacartUserPatchSchema = z.strictObject({
  instacartplus_member: z.boolean().optional(),
  expired_at: expiryTimeSchema.nullable().optional(),
  active: z.boolean().optional(),
});

/** `POST /_emulator/authorizations`: the code a shopper's "Allow" would have been given. */
export const authorizationBodySchema = z.strictObject({
  instacart_user_id: z.int().min(1),
  client_id: clientIdSchema,
  redirect_uri: z.string().min(1).max(2048),
  code_challenge: z.string().max(128).optional(),
});

/** `PATCH /_emulator/settings`: the switches to change. */
export const settingsBodySchema = z.strictObject({
  issuer_param: z.boolean().optional(),
  require_pkce: z.boolean().optional(),
  latency_ms: z.int().min(0).max(60_000).optional(),
});

/** The field a body was refused for, and why. */
export interface FieldError {
  key: string;
  message: string;
}

/** Maps the first issue of `error` (raised on `input`) to a {@link FieldError}. */
export function toFieldError(error: z.ZodError, input: Record<string, unknown>): FieldError {
  const issue = error.issues[0];
  if (!issue) return { key: 'body', message: 'is invalid' };
  if (issue.code === 'unrecognized_keys')
    return { key: issue.keys[0] ?? 'body', message: 'is not a known field' };
  const key = typeof issue.path[0] === 'string' ? issue.path[0] : 'body';
  const value = input[key];
  if (issue.code === 'invalid_type' && (value === undefined || value === null)) {
    return { key, message: "can't be blank" };
  }
  if (issue.code === 'too_small' && typeof value === 'string') return { key, message: "can't be blank" };
  if (issue.code === 'too_big') return { key, message: 'is too long' };
  if (issue.code === 'custom') return { key, message: issue.message };
  return { key, message: 'is invalid' };
}

/**
 * The first issue of `error` as one line for a person: where (`apps[0].redirect_uris[1]`) and
 * what. Used for start-up errors, where there is no Connect error shape to fill.
 */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'is invalid';
  let where = '';
  for (const segment of issue.path) {
    where += typeof segment === 'number' ? `[${segment}]` : `${where === '' ? '' : '.'}${String(segment)}`;
  }
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}
