/**
 * The admin API's bodies and answers as documented types, for the test kit's typed client. The
 * request types are checked against the zod schemas the routes validate with (`z.input` of each,
 * exactly: `test-kit/admin-client.test.ts`), and the answers are the return types of the routes' view
 * functions, so neither can drift from what the emulator does.
 */
import type { AppScope, AppStatus } from './domain.js';
import type { Json } from './openapi.js';

export type { AppScope, AppStatus };

/** `POST /_emulator/apps`: an OAuth application to register, or to replace (same `client_id`). */
export interface AppInput {
  /** The application's `client_id` (1 to 255 characters). */
  client_id: string;
  /** Its `client_secret`. */
  client_secret: string;
  /** Shown on the consent page: "<name> can read your name, email, …". */
  name: string;
  /** Absolute http(s) URIs without a fragment, compared by exact string equality; at least one. */
  redirect_uris: string[];
  /**
   * The retailer that owns it (1 to 255 characters): every application of one retailer sees the
   * same Connect users and links. Default: the replaced application's; for a new one its client id
   * (`corner-market` for `cartlink-demo`).
   */
  retailer_id?: string | undefined;
  /** What it may ask for, at least one. Default: the replaced application's; for a new one both. */
  scopes?: AppScope[] | undefined;
}

/**
 * `POST /_emulator/apps/{client_id}/clone`: what the clone does not take from the original (it
 * keeps its retailer, scopes and name).
 */
export interface AppCloneInput {
  /** The clone's `client_id` (1 to 255 characters, not taken). Default: a random one. */
  client_id?: string | undefined;
  /** The clone's `client_secret`. Default: a random one. */
  client_secret?: string | undefined;
  /** Its redirect URIs, at least one. Default: the original's. */
  redirect_uris?: string[] | undefined;
}

/** What `POST /_emulator/apps/{client_id}/clone` answers: the clone, its secret included (shown once). */
export interface ClonedAppView {
  /** The clone's `client_id`. */
  client_id: string;
  /** The clone's `client_secret`. */
  client_secret: string;
  /** The original's retailer. */
  retailer_id: string;
  /** Always `enabled`. */
  status: AppStatus;
  /** Its redirect URIs. */
  redirect_uris: string[];
  /** The original's scopes. */
  scopes: AppScope[];
}

/**
 * When an Instacart+ subscription ends, as the admin API takes `expired_at`: an ISO 8601 date-time
 * with offset, a date (`2027-01-31`), or a time relative to the emulator clock (`+1d`, `-30d`; units
 * `d`, `h`, `m` minutes, `s`).
 */
export type ExpiryTime = string;

/** `POST /_emulator/instacart-users`: an Instacart account to create. */
export interface InstacartUserBody {
  /** The log-in email (unique, case-insensitive). */
  email: string;
  /** The log-in password; only its hash is kept. */
  password: string;
  /** The Instacart+ subscription flag; membership also needs `expired_at` in the future. */
  instacartplus_member: boolean;
  /** End of the subscription; `null` when there never was one. Default: a year for a member. */
  expired_at?: ExpiryTime | null | undefined;
  /** The account's phone number. */
  phone?: string | null | undefined;
}

/** What `POST /_emulator/instacart-users` answers. */
export interface CreatedInstacartUser {
  /** The new account's `instacart_user_id`. */
  id: number;
}

/** `PATCH /_emulator/instacart-users/{id}`: a membership or activity change. */
export interface InstacartUserChange {
  /** The subscription flag. */
  instacartplus_member?: boolean | undefined;
  /** New end of the subscription; `null` for none. */
  expired_at?: ExpiryTime | null | undefined;
  /** An inactive account cannot log in, and its links answer `User Not Active`. */
  active?: boolean | undefined;
}

/** `PATCH /_emulator/connect-users/{user_id}`. */
export interface ConnectUserChange {
  /** A deactivated Connect user's status answers `User Not Active`. */
  active: boolean;
}

/** `POST /_emulator/faults`: a fault on the routes outside `/_emulator/`. */
export interface FaultInput {
  /** HTTP method to match; any when absent. */
  method?: string | undefined;
  /** Path to match: `*` is one segment, a last `**` one or more (`/v2/**`: every Connect call). */
  path: string;
  /** Answer with this status instead of the real handler. */
  status?: number | undefined;
  /** JSON body sent with `status`; Connect's error shape when absent. */
  body?: Json | undefined;
  /** A body sent as is (`text/plain` unless `headers` say otherwise), instead of `body`. */
  raw_body?: string | undefined;
  /** Headers added to the `status` answer, e.g. `{"retry-after": "2"}`. */
  headers?: Record<string, string> | undefined;
  /** Wait this long first, in milliseconds (then the real handler, `status` or `drop`). */
  delay_ms?: number | undefined;
  /** Destroy the connection without an answer. */
  drop?: boolean | undefined;
  /** Fire this many times, then disappear. */
  times?: number | undefined;
  /** Fire with this probability (0 to 1) per matching request. */
  probability?: number | undefined;
  /** Seed of the probability draws (1 when absent), so a run replays. */
  seed?: number | undefined;
}

/** `POST /_emulator/authorizations`: the authorization a shopper's "Allow" would have given. */
export interface AuthorizationInput {
  /** The Instacart account that "pressed Allow" (active). */
  instacart_user_id: number;
  /** The application the code is issued to. */
  client_id: string;
  /** One of the application's registered redirect URIs; the code is bound to it. */
  redirect_uri: string;
  /** An S256 PKCE challenge (from the authorization URL) to bind the code to. */
  code_challenge?: string | undefined;
}

/** `POST /_emulator/clock`: move the clock by some seconds, or set it. */
export type ClockChange =
  | {
      /** Seconds to move the clock by (negative moves it back). */
      advance_seconds: number;
    }
  | {
      /** The new time, ISO 8601 with offset. */
      now: string;
    };

/** `PATCH /_emulator/settings`: the switches to change. */
export interface SettingsChange {
  /** Add RFC 9207 `iss` to authorization redirects. */
  issuer_param?: boolean | undefined;
  /** Refuse authorization requests without PKCE. */
  require_pkce?: boolean | undefined;
  /** Delay added to every Connect API call, 0 to 60000 ms. */
  latency_ms?: number | undefined;
}

/** An Instacart account as the admin API shows it (no password hash). */
export interface InstacartUserView {
  /** `instacart_user_id`. */
  id: number;
  /** The log-in email. */
  email: string;
  /** The phone number, if any. */
  phone: string | null;
  /** The subscription flag as stored. */
  instacartplus_member: boolean;
  /** End of the subscription in Connect's time format, or `null`. */
  expired_at: string | null;
  /** Whether the account can log in. */
  active: boolean;
}

/** A Connect user (the retailer's user id, per retailer) as the admin API shows it. */
export interface ConnectUserView {
  /** The retailer it belongs to: every application of it sees the user. */
  retailer_id: string;
  /** The application it was created through. */
  client_id: string;
  /** The retailer's user id. */
  user_id: string;
  /** As the retailer sent it. */
  first_name: string;
  /** As the retailer sent it, if at all. */
  last_name: string | null;
  /** As the retailer sent it, if at all. */
  phone_number: string | null;
  /** As the retailer sent it, if at all. */
  locale: string | null;
  /** A deactivated user's status answers `User Not Active`. */
  active: boolean;
}

/** The emulator's settings. */
export interface SettingsView {
  /** RFC 9207 `iss` on authorization redirects. */
  issuer_param: boolean;
  /** Authorization requests without PKCE are refused. */
  require_pkce: boolean;
  /** Delay added to every Connect API call, in milliseconds. */
  latency_ms: number;
}

/** A registered OAuth application, without its secret. */
export interface AppView {
  /** Its `client_id`. */
  client_id: string;
  /** The retailer that owns it (and the Connect users and links its applications share). */
  retailer_id: string;
  /** `enabled` (issues access tokens) or `disabled` (issues none; issued ones work until they expire). */
  status: AppStatus;
  /** The name the consent page shows. */
  name: string;
  /** Its registered redirect URIs. */
  redirect_uris: string[];
  /** What it may ask for. */
  scopes: AppScope[];
}

/** An application as `GET /_emulator/apps` lists it: with how many of its tokens still work. */
export interface AppListView extends AppView {
  /** Its unexpired, unrevoked access tokens; `DELETE apps/{client_id}` is refused while there are any. */
  live_tokens: number;
}

/** The 409 of `DELETE /_emulator/apps/{client_id}`: the application still has live tokens. */
export interface AppHasLiveTokensView {
  /** Always `app_has_live_tokens`. */
  error: 'app_has_live_tokens';
  /** How many of its tokens still work. */
  live_tokens: number;
  /** When the last of them expires (ISO 8601): a delete succeeds after it. */
  last_expires_at: string;
}

/** A link between a Connect user and an Instacart account. */
export interface LinkView {
  /** The retailer of the Connect user: every application of it sees the link. */
  retailer_id: string;
  /** The application the link was made through. */
  client_id: string;
  /** The retailer's user id. */
  user_id: string;
  /** The linked Instacart account. */
  instacart_user_id: number;
  /** When it was made, on the emulator clock, in Connect's time format. */
  linked_at: string;
}

/** `GET /_emulator/state`: everything but secrets (no client secret, password hash, code or token). */
export interface EmulatorStateView {
  /** The OAuth applications. */
  apps: AppView[];
  /** The Instacart accounts. */
  instacart_users: InstacartUserView[];
  /** The Connect users of every retailer. */
  connect_users: ConnectUserView[];
  /** The links of every retailer. */
  links: LinkView[];
}
