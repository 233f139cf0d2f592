/**
 * The emulator's domain model: OAuth applications (each owned by a retailer, with a lifecycle),
 * Instacart accounts, Connect users and links (one set per retailer, shared by all its
 * applications), authorization codes and access tokens, with the rules Instacart applies to
 * them. Routes translate HTTP into calls on {@link EmulatorState}; every rule lives here so the
 * admin API, the test helpers and the Connect routes cannot disagree.
 *
 * Times are epoch milliseconds on the emulator clock, passed in by the caller.
 */
import { createRandomToken, timingSafeEqualString } from './random.js';
import { defaultRetailerId } from './seed.js';

/** Authorization codes live ten minutes at most (docs/connect-api.md §1, RFC 6749 §4.1.2). */
export const CODE_LIFETIME_MS = 10 * 60 * 1000;
/** Fulfillment and linking tokens both report `expires_in: 86400` (docs/connect-api.md §2). */
export const TOKEN_LIFETIME_SECONDS = 86_400;
/** A member created without an end date gets a subscription that ends a year later. */
export const DEFAULT_SUBSCRIPTION_MS = 365 * 24 * 60 * 60 * 1000;

/** The scopes an application may hold: the fulfillment token's and the authorization request's. */
export type AppScope = 'connect:fulfillment' | 'account_linking';

/** Every scope: what an application registered without `scopes` holds. */
export const ALL_APP_SCOPES = [
  'connect:fulfillment',
  'account_linking',
] as const satisfies readonly AppScope[];

/**
 * An application's status on the Developer Dashboard ("OAuth Applications", docs.instacart.com/connect):
 * an enabled one issues access tokens; a disabled one issues none, while the tokens it issued stay
 * valid until they expire. Deleting removes the application.
 */
export type AppStatus = 'enabled' | 'disabled';

/** A Connect OAuth application, one of its retailer's. */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
  /**
   * The retailer that owns it. Connect users and links belong to the retailer, so every
   * application of one retailer (a clone and its original) sees the same ones.
   */
  retailerId: string;
  status: AppStatus;
  /** What it may ask for: `connect:fulfillment` (client-credentials grant), `account_linking`. */
  scopes: AppScope[];
  /** Shown on the consent page: "<name> can read your name, email, …". */
  name: string;
  /** Compared with `redirect_uri` by exact string equality. */
  redirectUris: string[];
}

/**
 * An application to register or replace: retailer, status and scopes are optional, and when left
 * out a replaced application keeps its own, a new one gets `defaultRetailerId` (seed.ts), `enabled`
 * and {@link ALL_APP_SCOPES}.
 */
export type AppDefinition = Omit<OAuthApp, 'retailerId' | 'status' | 'scopes'> &
  Partial<Pick<OAuthApp, 'retailerId' | 'status' | 'scopes'>>;

/** Unexpired, unrevoked tokens an application issued: how many, and when the last one expires. */
export interface LiveTokens {
  count: number;
  /** Epoch ms; `null` when there are none. */
  lastExpiresAt: number | null;
}

/** What a clone may change; the rest (retailer, scopes, name) is the original's. */
export interface CloneOptions {
  /** @default a random one */
  clientId?: string;
  /** @default a random one */
  clientSecret?: string;
  /** @default the original's */
  redirectUris?: string[];
}

/** Outcome of {@link EmulatorState.cloneApp}. */
export type CloneResult =
  | { ok: true; app: OAuthApp }
  | { ok: false; reason: 'not_found' | 'client_id_taken' };

/** Outcome of {@link EmulatorState.deleteApp}. */
export type DeleteAppResult =
  | { ok: true }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'live_tokens'; liveTokens: LiveTokens };

/** An Instacart customer account. */
export interface InstacartUser {
  id: number;
  email: string;
  /** `scrypt$N$r$p$salt$hash`, see `scrypt-node.ts`. */
  passwordHash: string;
  phone: string | null;
  /** The subscription flag; membership also needs `expiredAt` in the future. */
  instacartplusMember: boolean;
  /** End of the (current or last) Instacart+ subscription; `null` when there never was one. */
  expiredAt: number | null;
  /** An inactive account cannot log in, and its links answer `User Not Active`. */
  active: boolean;
  createdAt: number;
}

/** A retailer's customer as Connect knows it, scoped to the retailer. */
export interface ConnectUser {
  retailerId: string;
  /** The application it was created through (any application of the retailer sees it). */
  clientId: string;
  userId: string;
  firstName: string;
  lastName: string | null;
  phoneNumber: string | null;
  locale: string | null;
  active: boolean;
  createdAt: number;
}

/** A Connect user linked to an Instacart account. */
export interface Link {
  retailerId: string;
  /** The application the link was made through (any application of the retailer sees it). */
  clientId: string;
  userId: string;
  instacartUserId: number;
  linkedAt: number;
}

/** An authorization code and everything it is bound to. */
export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  instacartUserId: number;
  /** The S256 PKCE challenge sent with the authorization request, if any. */
  codeChallenge: string | null;
  issuedAt: number;
  expiresAt: number;
  /** Set by the first redemption attempt: a code is single use whatever the outcome. */
  consumedAt: number | null;
  /** Tokens issued from this code, revoked if the code is presented again (RFC 6749 §4.1.2). */
  tokens: string[];
}

/** The two kinds of bearer token the emulator issues. */
export type TokenKind = 'fulfillment' | 'linking';

/** An issued access token. */
export interface AccessToken {
  token: string;
  kind: TokenKind;
  scope: 'connect:fulfillment' | 'account_linking';
  clientId: string;
  /** The Instacart account that consented (linking tokens only). */
  instacartUserId: number | null;
  issuedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** Emulator switches changed through `PATCH /_emulator/settings`. */
export interface Settings {
  /** Add RFC 9207 `iss` to authorization redirects. */
  issuerParam: boolean;
  /** Refuse authorization requests without a PKCE challenge. */
  requirePkce: boolean;
  /** A fixed delay added to every Connect API call (`/v2/…`). */
  latencyMs: number;
}

/** The plain-JSON form of {@link EmulatorState}, as kept in a state file. */
export interface StateData {
  apps: OAuthApp[];
  instacartUsers: InstacartUser[];
  connectUsers: ConnectUser[];
  links: Link[];
  codes: AuthorizationCode[];
  tokens: AccessToken[];
  nextInstacartUserId: number;
}

/** What it takes to create (or, for the scenario, overwrite) an Instacart account. */
export interface NewInstacartUser {
  email: string;
  passwordHash: string;
  phone?: string | null;
  instacartplusMember: boolean;
  /** When the Instacart+ subscription ends; a member without one gets a year from now. */
  expiredAt?: number | null;
}

/** Membership as `GET …/link` reports it. */
export interface Membership {
  instacartplusMember: boolean;
  /** Present whenever a subscription exists or existed. */
  expiredAt: number | null;
}

/** Thrown when an Instacart account with the same email exists. */
export class DuplicateEmailError extends Error {
  override name = 'DuplicateEmailError';
  constructor(email: string) {
    super(`An account already exists with this email: ${email}`);
  }
}

/** Outcome of a code redemption; `description` is safe to show as `error_description`. */
export type RedeemResult = { ok: true; token: AccessToken } | { ok: false; description: string };

/** The PKCE verifier as the route saw it: absent, malformed, or well formed and hashed. */
export type VerifierEvidence = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'present'; s256: string };

/** Outcome of linking a Connect user to an Instacart account. */
export type LinkResult = 'linked' | 'conflict';

function userKey(retailerId: string, userId: string): string {
  return `${retailerId}\u0000${userId}`;
}

/** Whether an Instacart account counts as an Instacart+ member at `nowMs`. */
export function getMembership(user: InstacartUser, nowMs: number): Membership {
  return {
    // A flag without a future end date is a lapsed subscription, not a membership.
    instacartplusMember: user.instacartplusMember && user.expiredAt !== null && user.expiredAt > nowMs,
    expiredAt: user.expiredAt,
  };
}

/** The end of a new account's subscription: as given, else a year away for a member, else none. */
function subscriptionEnd(input: { instacartplusMember: boolean; expiredAt?: number | null }, nowMs: number) {
  if (input.expiredAt !== undefined) return input.expiredAt;
  return input.instacartplusMember ? nowMs + DEFAULT_SUBSCRIPTION_MS : null;
}

/** All mutable emulator data, with Instacart's rules as methods. */
export class EmulatorState {
  readonly apps = new Map<string, OAuthApp>();
  readonly instacartUsers = new Map<number, InstacartUser>();
  readonly connectUsers = new Map<string, ConnectUser>();
  readonly links = new Map<string, Link>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly tokens = new Map<string, AccessToken>();
  nextInstacartUserId = 1;
  /** Called after every mutation; the state file writer hangs here. */
  onChange: () => void = () => {};

  /** Drops everything (used by reset before seeding again). */
  clear(): void {
    this.apps.clear();
    this.instacartUsers.clear();
    this.connectUsers.clear();
    this.links.clear();
    this.codes.clear();
    this.tokens.clear();
    this.nextInstacartUserId = 1;
    this.onChange();
  }

  /**
   * Registers an application, or replaces the one with the same client id; what `app` leaves out
   * of retailer, status and scopes the replaced application keeps (see {@link AppDefinition}).
   */
  upsertApp(app: AppDefinition): { outcome: 'created' | 'updated'; app: OAuthApp } {
    const existing = this.apps.get(app.clientId);
    const stored: OAuthApp = {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      retailerId: app.retailerId ?? existing?.retailerId ?? defaultRetailerId(app.clientId),
      status: app.status ?? existing?.status ?? 'enabled',
      scopes: [...(app.scopes ?? existing?.scopes ?? ALL_APP_SCOPES)],
      name: app.name,
      redirectUris: [...app.redirectUris],
    };
    this.apps.set(app.clientId, stored);
    this.onChange();
    return { outcome: existing ? 'updated' : 'created', app: stored };
  }

  /**
   * The application when `clientSecret` is its secret; compared in constant time. A disabled
   * application authenticates too (it may still revoke its tokens); whether it may issue tokens is
   * the token endpoint's question.
   */
  authenticateClient(clientId: string, clientSecret: string): OAuthApp | undefined {
    const app = this.apps.get(clientId);
    if (!app) return undefined;
    return timingSafeEqualString(app.clientSecret, clientSecret) ? app : undefined;
  }

  /** The retailer of an application; `undefined` when there is no such application. */
  retailerOf(clientId: string): string | undefined {
    return this.apps.get(clientId)?.retailerId;
  }

  /**
   * Clones an application as the Developer Dashboard does: same retailer, scopes and name, new
   * credentials (random unless given), the same redirect URIs unless given; always enabled.
   */
  cloneApp(clientId: string, options: CloneOptions = {}): CloneResult {
    const original = this.apps.get(clientId);
    if (!original) return { ok: false, reason: 'not_found' };
    const newClientId = options.clientId ?? createRandomToken(18);
    if (this.apps.has(newClientId)) return { ok: false, reason: 'client_id_taken' };
    const { app } = this.upsertApp({
      clientId: newClientId,
      clientSecret: options.clientSecret ?? createRandomToken(32),
      retailerId: original.retailerId,
      status: 'enabled',
      scopes: original.scopes,
      name: original.name,
      redirectUris: options.redirectUris ?? original.redirectUris,
    });
    return { ok: true, app };
  }

  /** Enables or disables an application (idempotent); `undefined` when it does not exist. */
  setAppStatus(clientId: string, status: AppStatus): OAuthApp | undefined {
    const app = this.apps.get(clientId);
    if (!app) return undefined;
    if (app.status !== status) {
      app.status = status;
      this.onChange();
    }
    return app;
  }

  /** The tokens of `clientId` that still work at `nowMs` (revoked and expired ones do not count). */
  liveTokens(clientId: string, nowMs: number): LiveTokens {
    let count = 0;
    let lastExpiresAt: number | null = null;
    for (const token of this.tokens.values()) {
      if (token.clientId !== clientId || token.revokedAt !== null || token.expiresAt <= nowMs) continue;
      count++;
      if (lastExpiresAt === null || token.expiresAt > lastExpiresAt) lastExpiresAt = token.expiresAt;
    }
    return { count, lastExpiresAt };
  }

  /**
   * Deletes an application, refused while a token it issued is still live (the Dashboard's "Delete
   * Failed"). Its codes and dead tokens go with it; the retailer's Connect users and links stay.
   */
  deleteApp(clientId: string, nowMs: number): DeleteAppResult {
    if (!this.apps.has(clientId)) return { ok: false, reason: 'not_found' };
    const live = this.liveTokens(clientId, nowMs);
    if (live.count > 0) return { ok: false, reason: 'live_tokens', liveTokens: live };
    this.apps.delete(clientId);
    for (const [key, code] of this.codes) if (code.clientId === clientId) this.codes.delete(key);
    for (const [key, token] of this.tokens) if (token.clientId === clientId) this.tokens.delete(key);
    this.onChange();
    return { ok: true };
  }

  /** Creates an Instacart account; members without an end date get one a year from now. */
  createInstacartUser(input: NewInstacartUser, nowMs: number): InstacartUser {
    if (this.findInstacartUserByEmail(input.email)) throw new DuplicateEmailError(input.email);
    const expiredAt = subscriptionEnd(input, nowMs);
    const user: InstacartUser = {
      id: this.nextInstacartUserId++,
      email: input.email,
      passwordHash: input.passwordHash,
      phone: input.phone ?? null,
      instacartplusMember: input.instacartplusMember,
      expiredAt,
      active: true,
      createdAt: nowMs,
    };
    this.instacartUsers.set(user.id, user);
    this.onChange();
    return user;
  }

  /**
   * Creates an Instacart account, or, when one with this email exists, gives it this password,
   * phone and membership (keeping its id, links and activity). The scenario uses it so that a
   * later source (the scenario file over the seed, a flag over the file) wins.
   */
  putInstacartUser(input: NewInstacartUser, nowMs: number): InstacartUser {
    const existing = this.findInstacartUserByEmail(input.email);
    if (!existing) return this.createInstacartUser(input, nowMs);
    existing.passwordHash = input.passwordHash;
    existing.phone = input.phone ?? null;
    existing.instacartplusMember = input.instacartplusMember;
    existing.expiredAt = subscriptionEnd(input, nowMs);
    this.onChange();
    return existing;
  }

  /** Adds redirect URIs to an application (those it has already are kept once); `false` when it does not exist. */
  addRedirectUris(clientId: string, redirectUris: readonly string[]): boolean {
    const app = this.apps.get(clientId);
    if (!app) return false;
    for (const uri of redirectUris) if (!app.redirectUris.includes(uri)) app.redirectUris.push(uri);
    this.onChange();
    return true;
  }

  /** Email lookup is case-insensitive, as account emails are. */
  findInstacartUserByEmail(email: string): InstacartUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.instacartUsers.values()) {
      if (user.email.toLowerCase() === wanted) return user;
    }
    return undefined;
  }

  /**
   * Changes membership or activity. Turning membership on for an account whose subscription has
   * no future end date (and not saying when it ends) starts a new year-long subscription, so that
   * `{instacartplus_member: true}` alone makes a member.
   */
  updateInstacartUser(
    id: number,
    patch: { instacartplusMember?: boolean; expiredAt?: number | null; active?: boolean },
    nowMs: number,
  ): InstacartUser | undefined {
    const user = this.instacartUsers.get(id);
    if (!user) return undefined;
    if (patch.instacartplusMember !== undefined) user.instacartplusMember = patch.instacartplusMember;
    if (patch.expiredAt !== undefined) user.expiredAt = patch.expiredAt;
    else if (patch.instacartplusMember === true && (user.expiredAt === null || user.expiredAt <= nowMs)) {
      user.expiredAt = nowMs + DEFAULT_SUBSCRIPTION_MS;
    }
    if (patch.active !== undefined) user.active = patch.active;
    this.onChange();
    return user;
  }

  /** The Connect user `userId` of retailer `retailerId`. */
  getConnectUser(retailerId: string, userId: string): ConnectUser | undefined {
    return this.connectUsers.get(userKey(retailerId, userId));
  }

  /**
   * Creates a Connect user of the retailer, through its application `clientId`; `undefined` when
   * the user id is taken at this retailer (through whichever of its applications).
   */
  createConnectUser(
    retailerId: string,
    clientId: string,
    input: {
      userId: string;
      firstName: string;
      lastName: string | null;
      phoneNumber: string | null;
      locale: string | null;
    },
    nowMs: number,
  ): ConnectUser | undefined {
    const key = userKey(retailerId, input.userId);
    if (this.connectUsers.has(key)) return undefined;
    const user: ConnectUser = { retailerId, clientId, ...input, active: true, createdAt: nowMs };
    this.connectUsers.set(key, user);
    this.onChange();
    return user;
  }

  /** Activates or deactivates a Connect user. */
  setConnectUserActive(retailerId: string, userId: string, active: boolean): ConnectUser | undefined {
    const user = this.getConnectUser(retailerId, userId);
    if (!user) return undefined;
    user.active = active;
    this.onChange();
    return user;
  }

  /** Connect users with this user id at any retailer (the admin API may leave the retailer out). */
  findConnectUsersById(userId: string): ConnectUser[] {
    return [...this.connectUsers.values()].filter((user) => user.userId === userId);
  }

  /** The link of a Connect user, if any. */
  getLink(retailerId: string, userId: string): Link | undefined {
    return this.links.get(userKey(retailerId, userId));
  }

  /**
   * Links a Connect user of a retailer to an Instacart account, through the retailer's application
   * `clientId`. One Instacart account may be linked to at most one user per retailer ("isolation
   * context"); linking the same pair again succeeds, and a user linked to another Instacart account
   * is moved to this one.
   */
  linkAccounts(
    retailerId: string,
    clientId: string,
    userId: string,
    instacartUserId: number,
    nowMs: number,
  ): LinkResult {
    for (const link of this.links.values()) {
      if (
        link.retailerId === retailerId &&
        link.instacartUserId === instacartUserId &&
        link.userId !== userId
      ) {
        return 'conflict';
      }
    }
    const key = userKey(retailerId, userId);
    const existing = this.links.get(key);
    if (existing?.instacartUserId === instacartUserId) return 'linked';
    this.links.set(key, { retailerId, clientId, userId, instacartUserId, linkedAt: nowMs });
    this.onChange();
    return 'linked';
  }

  /** Removes a link (customer-service unlink); `false` when there was none. */
  unlink(retailerId: string, userId: string): boolean {
    const removed = this.links.delete(userKey(retailerId, userId));
    if (removed) this.onChange();
    return removed;
  }

  /** Issues an authorization code bound to client, redirect URI, account and PKCE challenge. */
  issueCode(
    input: { clientId: string; redirectUri: string; instacartUserId: number; codeChallenge: string | null },
    nowMs: number,
  ): string {
    this.pruneCodes(nowMs);
    const code = createRandomToken(32);
    this.codes.set(code, {
      code,
      ...input,
      issuedAt: nowMs,
      expiresAt: nowMs + CODE_LIFETIME_MS,
      consumedAt: null,
      tokens: [],
    });
    this.onChange();
    return code;
  }

  /**
   * Redeems a code for a linking token. Synchronous on purpose: the check and the consumption
   * cannot interleave, so of many parallel redemptions exactly one succeeds. The first attempt by
   * the owning client consumes the code whatever its outcome; a later attempt revokes the tokens
   * the code produced (RFC 6749 §4.1.2, §10.5).
   */
  redeemCode(
    input: { code: string; clientId: string; redirectUri: string; verifier: VerifierEvidence },
    nowMs: number,
  ): RedeemResult {
    const record = this.codes.get(input.code);
    if (!record) return { ok: false, description: 'The authorization code is invalid.' };
    if (record.clientId !== input.clientId) {
      return { ok: false, description: 'The authorization code was issued to another client.' };
    }
    if (record.consumedAt !== null) {
      for (const token of record.tokens) this.revokeToken(token, nowMs);
      this.onChange();
      return {
        ok: false,
        description: 'The authorization code has already been used; tokens issued from it are revoked.',
      };
    }
    record.consumedAt = nowMs;
    this.onChange();
    if (nowMs >= record.expiresAt) return { ok: false, description: 'The authorization code has expired.' };
    if (record.redirectUri !== input.redirectUri) {
      return { ok: false, description: 'The redirect_uri does not match the authorization request.' };
    }
    if (record.codeChallenge !== null) {
      if (input.verifier.kind === 'absent') return { ok: false, description: 'code_verifier is required.' };
      if (input.verifier.kind === 'malformed')
        return { ok: false, description: 'code_verifier is malformed.' };
      if (!timingSafeEqualString(input.verifier.s256, record.codeChallenge)) {
        return { ok: false, description: 'code_verifier does not match the code_challenge.' };
      }
    } else if (input.verifier.kind !== 'absent') {
      // OAuth 2.1 §4.1.3: a verifier without a challenge means someone stripped the challenge.
      return {
        ok: false,
        description: 'code_verifier sent but the authorization request had no code_challenge.',
      };
    }
    const account = this.instacartUsers.get(record.instacartUserId);
    if (!account?.active) return { ok: false, description: 'The Instacart account is not active.' };
    const token = this.issueToken(
      { kind: 'linking', clientId: record.clientId, instacartUserId: record.instacartUserId },
      nowMs,
    );
    record.tokens.push(token.token);
    this.onChange();
    return { ok: true, token };
  }

  /** Issues a fulfillment or linking token valid for {@link TOKEN_LIFETIME_SECONDS}. */
  issueToken(
    input: { kind: TokenKind; clientId: string; instacartUserId: number | null },
    nowMs: number,
  ): AccessToken {
    this.pruneTokens(nowMs);
    const token: AccessToken = {
      token: createRandomToken(32),
      kind: input.kind,
      scope: input.kind === 'fulfillment' ? 'connect:fulfillment' : 'account_linking',
      clientId: input.clientId,
      instacartUserId: input.instacartUserId,
      issuedAt: nowMs,
      expiresAt: nowMs + TOKEN_LIFETIME_SECONDS * 1000,
      revokedAt: null,
    };
    this.tokens.set(token.token, token);
    this.onChange();
    return token;
  }

  /** Marks a token revoked (idempotent). */
  revokeToken(token: string, nowMs: number): void {
    const record = this.tokens.get(token);
    if (record && record.revokedAt === null) {
      record.revokedAt = nowMs;
      this.onChange();
    }
  }

  /** The plain-JSON snapshot written to a state file. */
  toData(): StateData {
    return structuredClone({
      apps: [...this.apps.values()],
      instacartUsers: [...this.instacartUsers.values()],
      connectUsers: [...this.connectUsers.values()],
      links: [...this.links.values()],
      codes: [...this.codes.values()],
      tokens: [...this.tokens.values()],
      nextInstacartUserId: this.nextInstacartUserId,
    });
  }

  /** Replaces everything with a snapshot from {@link toData}. */
  load(data: StateData): void {
    this.apps.clear();
    this.instacartUsers.clear();
    this.connectUsers.clear();
    this.links.clear();
    this.codes.clear();
    this.tokens.clear();
    for (const app of data.apps) this.apps.set(app.clientId, structuredClone(app));
    for (const user of data.instacartUsers) this.instacartUsers.set(user.id, structuredClone(user));
    for (const user of data.connectUsers)
      this.connectUsers.set(userKey(user.retailerId, user.userId), { ...user });
    for (const link of data.links) this.links.set(userKey(link.retailerId, link.userId), { ...link });
    for (const code of data.codes) this.codes.set(code.code, structuredClone(code));
    for (const token of data.tokens) this.tokens.set(token.token, { ...token });
    this.nextInstacartUserId = data.nextInstacartUserId;
    this.onChange();
  }

  // Expired records are kept for a while so that late use gets a precise answer ("expired",
  // "already used"), then dropped so a long benchmark does not grow the maps without bound.
  private pruneCodes(nowMs: number): void {
    if (this.codes.size < 1024) return;
    for (const [key, code] of this.codes) {
      const keepUntil = Math.max(code.expiresAt, (code.consumedAt ?? 0) + TOKEN_LIFETIME_SECONDS * 1000);
      if (keepUntil < nowMs) this.codes.delete(key);
    }
  }

  private pruneTokens(nowMs: number): void {
    if (this.tokens.size < 1024) return;
    for (const [key, token] of this.tokens) {
      if (token.expiresAt + TOKEN_LIFETIME_SECONDS * 1000 < nowMs) this.tokens.delete(key);
    }
  }
}

/** Hashes and checks Instacart passwords; the Node implementation is in `scrypt-node.ts`. */
export interface PasswordHasher {
  /** Synchronous so that seeding and the typed test helpers stay synchronous. */
  hash(password: string): string;
  verify(password: string, passwordHash: string): Promise<boolean>;
  /** A hash of a password nobody has: checked when an email is unknown, so failures take as long. */
  decoyHash(): string;
}
