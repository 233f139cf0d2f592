/**
 * @module The storage the linking core needs, as small interfaces. The SQL implementations (SQLite and
 * PostgreSQL through Kysely) live beside this file and pass one conformance suite; a retailer may
 * write its own against the same suite.
 */

/**
 * A link transaction: what the server remembers between sending the shopper to Instacart's
 * authorization page and the shopper's return with `code` and `state`.
 * Only a SHA-256 digest of the state is stored, so a database leak does not yield usable states.
 */
export interface LinkTransaction {
  /** base64url SHA-256 of the `state` value sent to Instacart; the lookup key. */
  stateHash: string;
  /** The server-side session that started the transaction; a callback from any other session fails. */
  sessionId: string;
  /** The retailer's user id (the Connect `user_id`) that the transaction links. */
  userId: string;
  /** PKCE code verifier (RFC 7636), or null when PKCE is off. Secret: never logged. */
  codeVerifier: string | null;
  /** The redirect URI used in the authorization URL; the code exchange must send the same. */
  redirectUri: string;
  /**
   * The client id the authorization URL carried: the application the code will be issued to, whose
   * credentials exchange it (during a credential rotation a shop holds two). Null for a transaction
   * stored before client ids were kept; a storage that keeps no client id returns null, and the code
   * is then exchanged with the current credentials. Optional when creating, for callers written
   * before it existed.
   */
  clientId?: string | null;
  /** When the link started. */
  createdAt: Date;
  /** When the transaction stops being accepted. */
  expiresAt: Date;
}

/** Where link transactions are kept: created on a link start, consumed once on the callback. */
export interface LinkTransactionStore {
  /** Saves a new transaction. A duplicate `stateHash` is an error (states are random; it never happens). */
  create(transaction: LinkTransaction): Promise<void>;
  /**
   * Removes and returns the transaction with this state hash, in one atomic step, so that of two
   * concurrent callers with the same state exactly one gets it. Returns null when there is none.
   * The caller checks session, expiry and user; the transaction is gone either way (single use).
   */
  consume(stateHash: string): Promise<LinkTransaction | null>;
  /** Deletes the transactions that expired before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/** What the last call of "get account information" said about a user, and when. */
export type MembershipVerificationResult =
  /** 200: linked; `instacartplusMember` and `expiredAt` say the rest. */
  | 'linked'
  /** 400 `User Not Linked`: a Connect user exists but is not linked. */
  | 'not-linked'
  /** 400 `User Not Found`: no Connect user yet (the link flow must create one). */
  | 'user-not-found'
  /** 403 `User Not Active`. */
  | 'user-not-active';

/** A membership verification: the evidence the status element and the delivery discount rely on. */
export interface MembershipVerification {
  /** The user asked about. */
  userId: string;
  /** What Connect said. */
  result: MembershipVerificationResult;
  /** `instacartplus_member` from Connect; false unless `result` is `linked`. */
  instacartplusMember: boolean;
  /** `expired_at` from Connect (the subscription's end), or null when Connect sent none. */
  expiredAt: Date | null;
  /** When Connect answered. */
  verifiedAt: Date;
}

/** Where the latest membership verification of each user is kept. */
export interface MembershipVerificationStore {
  /** Inserts or replaces the user's latest verification. */
  save(verification: MembershipVerification): Promise<void>;
  /** The user's latest verification, or null. */
  get(userId: string): Promise<MembershipVerification | null>;
}

/** The retailer's own record that a user's shop account is linked to an Instacart account. */
export interface LinkRecord {
  /** The linked user. */
  userId: string;
  /** When the link completed (or was last confirmed after a missing record). */
  linkedAt: Date;
}

/**
 * The retailer's own record of linked users, kept in step with Connect's answers. Each write is one
 * statement that is safe to repeat and to race: the linking core runs them without a transaction.
 */
export interface LinkRecordStore {
  /** Records a successful link (inserts, or updates `linkedAt` when already there). */
  markLinked(userId: string, linkedAt: Date): Promise<void>;
  /**
   * Records the link only when there is no record yet, keeping an existing record's `linkedAt`: what
   * a verification that Connect answered "linked" does. Returns whether it created the record; of
   * concurrent calls for one user, at most one does.
   */
  confirmLinked(userId: string, linkedAt: Date): Promise<boolean>;
  /**
   * Forgets the link, after Connect said the user is no longer linked. Returns whether one existed;
   * of concurrent calls for one user, exactly one removes an existing record and returns true.
   */
  markUnlinked(userId: string): Promise<boolean>;
  /** The user's record, or null when not linked. */
  get(userId: string): Promise<LinkRecord | null>;
  /** Every linked user, for reconciliation against Instacart's view. */
  list(): Promise<LinkRecord[]>;
}

/** How the membership behind a delivery discount was established. */
export type DiscountVerification =
  /** Connect confirmed the membership during checkout. */
  | 'fresh'
  /** Connect could not be reached; a verification younger than the grace window was used. */
  | 'grace';

/** One waived delivery fee, with the evidence that justified it, for billing reconciliation. */
export interface DeliveryDiscount {
  /** The order; one entry per order. */
  orderId: string;
  /** The shopper who placed it. */
  userId: string;
  /** When the order was placed. */
  placedAt: Date;
  /** The delivery fee waived, in cents. */
  waivedCents: number;
  /** ISO 4217, upper case, e.g. `USD`. */
  currency: string;
  /** `instacartplus_member` of the verification relied on. */
  instacartplusMember: boolean;
  /** `expired_at` of that verification, or null. */
  expiredAt: Date | null;
  /** When Connect gave that verification. */
  verifiedAt: Date;
  /** `fresh` (confirmed at checkout) or `grace` (Connect unreachable, a recent verification used). */
  verification: DiscountVerification;
}

/** A half-open period of time, `[from, to)`, e.g. a billing month. */
export interface BillingPeriod {
  /** Inclusive start. */
  from: Date;
  /** Exclusive end. */
  to: Date;
}

/** What {@link DeliveryDiscountLedger.totals} sums up for a period. */
export interface DiscountTotals {
  /** Discounted orders in the period. */
  orders: number;
  /** Sum of `waivedCents` per currency. */
  waivedCentsByCurrency: Record<string, number>;
  /** Sum of `waivedCents` per UTC day (`YYYY-MM-DD`) and currency, ordered by day. */
  byDay: Array<{
    /** The UTC day, `YYYY-MM-DD`. */
    day: string;
    /** ISO 4217 currency code. */
    currency: string;
    /** Discounted orders that day in that currency. */
    orders: number;
    /** Cents waived that day in that currency. */
    waivedCents: number;
  }>;
}

/** The delivery-discount ledger: one entry per discounted order, for billing reconciliation. */
export interface DeliveryDiscountLedger {
  /** Records a discount. Recording the same `orderId` twice is an error: one order, one entry. */
  record(discount: DeliveryDiscount): Promise<void>;
  /** The discounts placed in the period, oldest first. */
  list(period: BillingPeriod): Promise<DeliveryDiscount[]>;
  /** The totals of the discounts placed in the period. */
  totals(period: BillingPeriod): Promise<DiscountTotals>;
}

/** Everything the linking core stores, and a way to run several writes that must agree. */
export interface LinkingStorage {
  /** Link transactions. */
  linkTransactions: LinkTransactionStore;
  /** Membership verifications. */
  verifications: MembershipVerificationStore;
  /** The retailer's link records. */
  linkRecords: LinkRecordStore;
  /** The delivery-discount ledger. */
  discounts: DeliveryDiscountLedger;
  /** Runs `work` in one database transaction: all of its writes land, or none. */
  transaction<T>(work: (storage: Omit<LinkingStorage, 'transaction' | 'close'>) => Promise<T>): Promise<T>;
  /** Releases connections. */
  close(): Promise<void>;
}
