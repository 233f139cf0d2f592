/**
 * The start-up scenario: OAuth applications, redirect URIs added to an application, Instacart
 * accounts and settings, applied over the seed when the emulator starts and again after every
 * reset. One format for the three ways to give it (a JSON file, CLI flags, the `scenario` option of
 * `createEmulator`), validated with the admin API's own body schemas (`validation.ts`): a scenario
 * is what a test would otherwise send to `POST apps`, `POST instacart-users` and `PATCH settings`.
 */
import { z } from 'zod';
import type { AppDefinition, AppScope, EmulatorState, PasswordHasher, Settings } from './domain.js';
import { EmulatorConfigError } from './errors.js';
import { DEMO_SEED, type SeedName } from './seed.js';
import {
  appBodySchema,
  clientIdSchema,
  describeIssue,
  instacartUserBodySchema,
  redirectUriSchema,
  resolveExpiryTime,
  settingsBodySchema,
} from './validation.js';

/** An OAuth application to register, or to replace when its client id exists (`POST /_emulator/apps`). */
export interface ScenarioApp {
  /** The application's `client_id`. */
  client_id: string;
  /** The application's `client_secret`. */
  client_secret: string;
  /** Shown on the consent page: "<name> can read your name, email, …". */
  name: string;
  /** At least one; absolute http(s) without a fragment, compared by exact string equality. */
  redirect_uris: string[];
  /**
   * The retailer that owns it; every application of one retailer sees the same Connect users and
   * links.
   *
   * @default the replaced application's; for a new one its client id (`corner-market` for `cartlink-demo`)
   */
  retailer_id?: string;
  /**
   * What it may ask for.
   *
   * @default the replaced application's; for a new one `["connect:fulfillment", "account_linking"]`
   */
  scopes?: AppScope[];
}

/** An Instacart account to create, or to overwrite when its email exists (`POST /_emulator/instacart-users`). */
export interface ScenarioInstacartUser {
  /** The log-in email (case-insensitive). */
  email: string;
  /** The log-in password; only its scrypt hash is kept. */
  password: string;
  /** The Instacart+ subscription flag; membership also needs `expired_at` in the future. */
  instacartplus_member: boolean;
  /**
   * End of the subscription: an ISO 8601 date-time with offset, a date (`YYYY-MM-DD`, midnight
   * UTC) or a time relative to the emulator clock when applied (`+365d`, `-30d`; units `d`, `h`,
   * `m` minutes, `s`). In the past, with `instacartplus_member: true`, it is a lapsed subscription.
   * `null` means there never was one.
   *
   * @default a year from now for a member, `null` otherwise
   */
  expired_at?: string | null;
  /** The account's phone number. */
  phone?: string | null;
}

/** Emulator switches, as `PATCH /_emulator/settings` takes them. */
export interface ScenarioSettings {
  /**
   * Add RFC 9207 `iss` to authorization redirects.
   *
   * @default false
   */
  issuer_param?: boolean;
  /**
   * Refuse authorization requests without a PKCE challenge (S256).
   *
   * @default false
   */
  require_pkce?: boolean;
  /**
   * A delay added to every Connect API call (`/v2/…`), in milliseconds, 0 to 60000.
   *
   * @default 0
   */
  latency_ms?: number;
}

/**
 * What the emulator holds at start and after every reset besides its seed. Snake_case like the admin
 * API, whose body schemas validate it. Every part is optional.
 *
 * @example
 * ```json
 * {
 *   "apps": [{ "client_id": "acme", "client_secret": "acme-secret", "name": "Acme Foods",
 *              "redirect_uris": ["http://localhost:5173/account/instacart"] }],
 *   "redirect_uris": { "cartlink-demo": ["http://localhost:5173/account/profile"] },
 *   "instacart_users": [
 *     { "email": "member@qa.test", "password": "pw", "instacartplus_member": true, "expired_at": "+365d" },
 *     { "email": "lapsed@qa.test", "password": "pw", "instacartplus_member": true, "expired_at": "-30d" },
 *     { "email": "never@qa.test", "password": "pw", "instacartplus_member": false }
 *   ],
 *   "settings": { "issuer_param": true, "require_pkce": true }
 * }
 * ```
 */
export interface EmulatorScenario {
  /** Applications to register; one with the client id of a seeded one replaces it. */
  apps?: ScenarioApp[];
  /**
   * Redirect URIs to add to applications, by client id: the seed's (`cartlink-demo`) or this
   * scenario's. Those an application has already are kept once.
   */
  redirect_uris?: Record<string, string[]>;
  /** Instacart accounts to create; one with the email of a seeded account overwrites it. */
  instacart_users?: ScenarioInstacartUser[];
  /** Settings that differ from the defaults. */
  settings?: ScenarioSettings;
}

/** The scenario schema (the type test in `scenario.test.ts` holds it equal to {@link EmulatorScenario}). */
export const scenarioSchema = z
  .strictObject({
    apps: z.array(appBodySchema).optional(),
    redirect_uris: z.record(clientIdSchema, z.array(redirectUriSchema).min(1)).optional(),
    instacart_users: z.array(instacartUserBodySchema).optional(),
    settings: settingsBodySchema.optional(),
  })
  .superRefine((scenario, refinement) => {
    // Twice the same key in one list is a typo, not a precedence: refuse it.
    const seen = new Map<string, number>();
    scenario.apps?.forEach((app, index) => {
      const first = seen.get(app.client_id);
      if (first === undefined) seen.set(app.client_id, index);
      else
        refinement.addIssue({
          code: 'custom',
          path: ['apps', index, 'client_id'],
          message: `the same client_id as apps[${first}]`,
        });
    });
    const emails = new Map<string, number>();
    scenario.instacart_users?.forEach((user, index) => {
      const key = user.email.toLowerCase();
      const first = emails.get(key);
      if (first === undefined) emails.set(key, index);
      else
        refinement.addIssue({
          code: 'custom',
          path: ['instacart_users', index, 'email'],
          message: `the same email as instacart_users[${first}]`,
        });
    });
  });

/**
 * A scenario that cannot be used: refused by the schema, not JSON, unreadable, or adding redirect
 * URIs to an application nobody registers. The message is one line naming where it came from
 * and the first problem.
 */
export class ScenarioError extends EmulatorConfigError {
  /** Always `ScenarioError`. */
  override name = 'ScenarioError';
}

/**
 * Validates a scenario (parsed JSON, or an object from code) with the admin API's body schemas.
 *
 * @param source - Where it came from, for the message: `scenario file qa.json`, `scenario`.
 * @throws {@link ScenarioError} naming the first problem, e.g. `scenario file qa.json:
 *   instacart_users[0].expired_at: must be an ISO 8601 date-time …`.
 */
export function parseScenario(value: unknown, source = 'scenario'): EmulatorScenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) throw new ScenarioError(`${source}: ${describeIssue(result.error)}`);
  return result.data;
}

/**
 * `override` over `base`, as flags go over a scenario file: an application or an account (same
 * client id, same email) of `override` replaces the one of `base`, redirect URIs are added up,
 * and settings are merged field by field.
 */
export function mergeScenarios(base: EmulatorScenario, override: EmulatorScenario): EmulatorScenario {
  const merged: EmulatorScenario = {};
  const apps = new Map<string, ScenarioApp>();
  for (const app of [...(base.apps ?? []), ...(override.apps ?? [])]) apps.set(app.client_id, app);
  if (apps.size > 0) merged.apps = [...apps.values()];
  const redirectUris: Record<string, string[]> = {};
  for (const [clientId, uris] of [
    ...Object.entries(base.redirect_uris ?? {}),
    ...Object.entries(override.redirect_uris ?? {}),
  ]) {
    redirectUris[clientId] = [...new Set([...(redirectUris[clientId] ?? []), ...uris])];
  }
  if (Object.keys(redirectUris).length > 0) merged.redirect_uris = redirectUris;
  const users = new Map<string, ScenarioInstacartUser>();
  for (const user of [...(base.instacart_users ?? []), ...(override.instacart_users ?? [])]) {
    users.set(user.email.toLowerCase(), user);
  }
  if (users.size > 0) merged.instacart_users = [...users.values()];
  if (base.settings || override.settings) merged.settings = { ...base.settings, ...override.settings };
  return merged;
}

/** A validated scenario ready to apply any number of times: passwords hashed once. */
export interface PreparedScenario {
  apps: AppDefinition[];
  redirectUris: [clientId: string, uris: string[]][];
  instacartUsers: {
    email: string;
    passwordHash: string;
    phone: string | null;
    instacartplusMember: boolean;
    /** As given: a relative time is resolved each time the scenario is applied. */
    expiredAt: string | null | undefined;
  }[];
  settings: Partial<Settings>;
}

/** The client ids a seed registers. */
function seededClientIds(seed: SeedName): string[] {
  return seed === 'demo' ? [DEMO_SEED.app.clientId] : [];
}

/**
 * Validates `scenario`, checks that every application it adds redirect URIs to is registered by
 * the seed or by the scenario itself (so that a reset can always apply it), and hashes its
 * passwords (scrypt is slow on purpose; tests reset often).
 *
 * @throws {@link ScenarioError}
 */
export function prepareScenario(
  scenario: EmulatorScenario,
  seed: SeedName,
  hasher: PasswordHasher,
): PreparedScenario {
  const valid = parseScenario(scenario);
  const registered = new Set([...seededClientIds(seed), ...(valid.apps ?? []).map((app) => app.client_id)]);
  for (const clientId of Object.keys(valid.redirect_uris ?? {})) {
    if (!registered.has(clientId)) {
      throw new ScenarioError(
        `scenario: redirect_uris names the application "${clientId}", which neither the ${seed} seed nor the scenario registers`,
      );
    }
  }
  const settings: Partial<Settings> = {};
  if (valid.settings?.issuer_param !== undefined) settings.issuerParam = valid.settings.issuer_param;
  if (valid.settings?.require_pkce !== undefined) settings.requirePkce = valid.settings.require_pkce;
  if (valid.settings?.latency_ms !== undefined) settings.latencyMs = valid.settings.latency_ms;
  return {
    apps: (valid.apps ?? []).map((app) => ({
      clientId: app.client_id,
      clientSecret: app.client_secret,
      name: app.name,
      redirectUris: [...app.redirect_uris],
      ...(app.retailer_id === undefined ? {} : { retailerId: app.retailer_id }),
      ...(app.scopes === undefined ? {} : { scopes: [...app.scopes] }),
    })),
    redirectUris: Object.entries(valid.redirect_uris ?? {}),
    instacartUsers: (valid.instacart_users ?? []).map((user) => ({
      email: user.email,
      passwordHash: hasher.hash(user.password),
      phone: user.phone ?? null,
      instacartplusMember: user.instacartplus_member,
      expiredAt: user.expired_at,
    })),
    settings,
  };
}

/**
 * Applies a prepared scenario to `state` (the settings are the caller's): applications first, then
 * the redirect URIs added to them, then the accounts, relative times resolved from `nowMs`.
 *
 * @throws {@link ScenarioError} when an application to add redirect URIs to is missing (a state
 *   file written with another seed).
 */
export function applyScenario(state: EmulatorState, scenario: PreparedScenario, nowMs: number): void {
  for (const app of scenario.apps) state.upsertApp(app);
  for (const [clientId, uris] of scenario.redirectUris) {
    if (!state.addRedirectUris(clientId, uris)) {
      throw new ScenarioError(
        `scenario: redirect_uris names the application "${clientId}", which is not registered`,
      );
    }
  }
  for (const user of scenario.instacartUsers) {
    state.putInstacartUser(
      {
        email: user.email,
        passwordHash: user.passwordHash,
        phone: user.phone,
        instacartplusMember: user.instacartplusMember,
        ...(user.expiredAt === undefined
          ? {}
          : { expiredAt: user.expiredAt === null ? null : resolveExpiryTime(user.expiredAt, nowMs) }),
      },
      nowMs,
    );
  }
}
