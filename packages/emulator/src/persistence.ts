/**
 * The state-file format: the domain snapshot plus the clock offset and the settings, validated
 * with a schema when read back, so a hand-edited or truncated file stops start-up with one clear
 * line instead of failing later. Sessions, faults and the request log are not persisted.
 *
 * Version 2 gave applications a retailer, a status and scopes, and keyed Connect users and links by
 * retailer. A version 1 file (written before) still loads: each application gets the retailer
 * `defaultRetailerId` names (the demo application the demo retailer, any other one a retailer of
 * its own, so nothing that was isolated before is shared now), `enabled` and every scope, and each
 * Connect user and link the retailer of the application it was keyed by.
 */
import { z } from 'zod';
import { ALL_APP_SCOPES, type Settings, type StateData } from './domain.js';
import { defaultRetailerId } from './seed.js';

/** Everything a state file holds. */
export interface PersistedState {
  version: 2;
  state: StateData;
  clockOffsetMs: number;
  settings: Settings;
}

const ms = z.number().finite();

const legacyApp = z.object({
  clientId: z.string(),
  clientSecret: z.string(),
  name: z.string(),
  redirectUris: z.array(z.string()),
});
const legacyConnectUser = z.object({
  clientId: z.string(),
  userId: z.string(),
  firstName: z.string(),
  lastName: z.string().nullable(),
  phoneNumber: z.string().nullable(),
  locale: z.string().nullable(),
  active: z.boolean(),
  createdAt: ms,
});
const legacyLink = z.object({
  clientId: z.string(),
  userId: z.string(),
  instacartUserId: z.int(),
  linkedAt: ms,
});
const retailer = { retailerId: z.string().min(1) };

/** The parts both versions share; `apps`, `connectUsers` and `links` differ. */
function stateSchema<A, U, L>(apps: z.ZodType<A>, connectUsers: z.ZodType<U>, links: z.ZodType<L>) {
  return z.object({
    apps: z.array(apps),
    instacartUsers: z.array(
      z.object({
        id: z.int().min(1),
        email: z.string(),
        passwordHash: z.string(),
        phone: z.string().nullable(),
        instacartplusMember: z.boolean(),
        expiredAt: ms.nullable(),
        active: z.boolean(),
        createdAt: ms,
      }),
    ),
    connectUsers: z.array(connectUsers),
    links: z.array(links),
    codes: z.array(
      z.object({
        code: z.string(),
        clientId: z.string(),
        redirectUri: z.string(),
        instacartUserId: z.int(),
        codeChallenge: z.string().nullable(),
        issuedAt: ms,
        expiresAt: ms,
        consumedAt: ms.nullable(),
        tokens: z.array(z.string()),
      }),
    ),
    tokens: z.array(
      z.object({
        token: z.string(),
        kind: z.enum(['fulfillment', 'linking']),
        scope: z.enum(['connect:fulfillment', 'account_linking']),
        clientId: z.string(),
        instacartUserId: z.int().nullable(),
        issuedAt: ms,
        expiresAt: ms,
        revokedAt: ms.nullable(),
      }),
    ),
    nextInstacartUserId: z.int().min(1),
  });
}

const settingsSchema = z.object({
  issuerParam: z.boolean(),
  requirePkce: z.boolean(),
  latencyMs: z.int().min(0),
});

const persistedStateSchema = z.discriminatedUnion('version', [
  z.object({
    version: z.literal(2),
    clockOffsetMs: ms,
    settings: settingsSchema,
    state: stateSchema(
      legacyApp.extend({
        ...retailer,
        status: z.enum(['enabled', 'disabled']),
        scopes: z.array(z.enum(ALL_APP_SCOPES)).min(1),
      }),
      legacyConnectUser.extend(retailer),
      legacyLink.extend(retailer),
    ),
  }),
  z.object({
    version: z.literal(1),
    clockOffsetMs: ms,
    settings: settingsSchema,
    state: stateSchema(legacyApp, legacyConnectUser, legacyLink),
  }),
]);

type StoredState = z.output<typeof persistedStateSchema>;

/** A version 1 snapshot in today's form (see the module comment). */
function upgradeVersion1(stored: Extract<StoredState, { version: 1 }>): PersistedState {
  const { state } = stored;
  const apps = state.apps.map((app) => ({
    ...app,
    retailerId: defaultRetailerId(app.clientId),
    status: 'enabled' as const,
    scopes: [...ALL_APP_SCOPES],
  }));
  const retailers = new Map(apps.map((app) => [app.clientId, app.retailerId]));
  // Users and links of an application the file no longer holds keep a retailer of their own.
  const retailerOf = (clientId: string) => retailers.get(clientId) ?? defaultRetailerId(clientId);
  return {
    version: 2,
    clockOffsetMs: stored.clockOffsetMs,
    settings: stored.settings,
    state: {
      ...state,
      apps,
      connectUsers: state.connectUsers.map((user) => ({ ...user, retailerId: retailerOf(user.clientId) })),
      links: state.links.map((link) => ({ ...link, retailerId: retailerOf(link.clientId) })),
    },
  };
}

/** Thrown when a state file cannot be used; the message names the file and the problem. */
export class StateFileError extends Error {
  /** Always `StateFileError`. */
  override name = 'StateFileError';
}

/** Serializes for a state file. */
export function serializeState(persisted: PersistedState): string {
  return `${JSON.stringify(persisted, null, 2)}\n`;
}

/** Parses a state file's text; throws {@link StateFileError} naming the first problem. */
export function parseState(text: string, source: string): PersistedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StateFileError(`State file ${source} is not valid JSON`);
  }
  const result = persistedStateSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new StateFileError(
      `State file ${source} is not an emulator state file: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    );
  }
  return result.data.version === 1 ? upgradeVersion1(result.data) : result.data;
}
