/**
 * The state-file format: the domain snapshot plus the clock offset and the settings, validated
 * with a schema when read back, so a hand-edited or truncated file stops start-up with one clear
 * line instead of failing later. Sessions, faults and the request log are not persisted.
 */
import { z } from 'zod';
import type { Settings, StateData } from './domain.js';

/** Everything a state file holds. */
export interface PersistedState {
  version: 1;
  state: StateData;
  clockOffsetMs: number;
  settings: Settings;
}

const ms = z.number().finite();

const persistedStateSchema = z.object({
  version: z.literal(1),
  clockOffsetMs: ms,
  settings: z.object({ issuerParam: z.boolean(), requirePkce: z.boolean(), latencyMs: z.int().min(0) }),
  state: z.object({
    apps: z.array(
      z.object({
        clientId: z.string(),
        clientSecret: z.string(),
        name: z.string(),
        redirectUris: z.array(z.string()),
      }),
    ),
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
    connectUsers: z.array(
      z.object({
        clientId: z.string(),
        userId: z.string(),
        firstName: z.string(),
        lastName: z.string().nullable(),
        phoneNumber: z.string().nullable(),
        locale: z.string().nullable(),
        active: z.boolean(),
        createdAt: ms,
      }),
    ),
    links: z.array(
      z.object({ clientId: z.string(), userId: z.string(), instacartUserId: z.int(), linkedAt: ms }),
    ),
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
  }),
});

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
  return result.data;
}
