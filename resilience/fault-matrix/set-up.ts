/**
 * @module Section 1's set-up and the tools its steps share: an emulator child (a real network
 * boundary: timeouts and dropped sockets are real), the storefront in this process on a loopback port
 * with a clock the section moves (verification freshness and the checkout grace window), one fresh
 * shopper per check, and the faults put on and taken off.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmulatorAdmin } from '@cartlink/emulator/testing';
import {
  createLogger,
  parseEnv,
  type RunningStorefront,
  type StorefrontDatabase,
  startStorefront,
} from '@cartlink/storefront';
import type { Kysely } from 'kysely';
import { ShopClient, type ShopResponse } from '../../testing/shop-client';
import { postCallback, startLink, verify } from '../../testing/shop-steps';
import { consent } from '../lib/flows';
import { registerShop, shopLinks, wrongLinks } from '../lib/instacart';
import type { Report, SectionContext } from '../lib/report';
import type { Scope } from '../lib/scope';
import { startEmulatorChild } from '../lib/servers';
import { createShoppers, type Shopper } from '../lib/shoppers';
import { CALLS, CONNECT_TIMEOUT_MS, type FaultedRoute, type FaultKind, KINDS } from './faults';

export const SECTION = '1 faults';

/** A shopper of one check, with a client that keeps every answer. */
export interface TakenShopper {
  shopper: Shopper;
  client: ShopClient;
  responses: ShopResponse[];
}

/** Everything section 1's steps share. */
export interface Matrix {
  ctx: SectionContext;
  report: Report;
  scope: Scope;
  admin: EmulatorAdmin;
  emulatorUrl: string;
  /** The in-process storefront with `CONNECT_TIMEOUT_MS` = {@link CONNECT_TIMEOUT_MS}. */
  shop: RunningStorefront;
  db: Kysely<StorefrontDatabase>;
  /** How far the storefronts' clock is ahead of the real one. */
  clock: { offsetMs: number };
  /** Error-level log lines of the in-process storefronts. */
  errorLogs: string[];
  /** Every shopper of the section, taken or not. */
  shoppers: Shopper[];
  /** Every shopper taken so far, for the closing comparison. */
  used: TakenShopper[];
  /** A fresh shopper, on `origin` (the section's storefront by default). */
  takeShopper(origin?: string): TakenShopper;
}

/** Starts the emulator and the storefront, registers the shop and creates every shopper of the section. */
export async function setUpMatrix(ctx: SectionContext, scope: Scope): Promise<Matrix> {
  const emulator = await startEmulatorChild(scope, 'emulator (faults)');
  const admin = new EmulatorAdmin(emulator.url);
  const clock = { offsetMs: 0 };
  const errorLogs: string[] = [];
  const partial = { ctx, scope, emulatorUrl: emulator.url, clock, errorLogs };
  const shop = await startInProcessShop(partial, { CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) });
  scope.add('close in-process storefront', () => shop.close());
  await registerShop(admin, [`${shop.url}/account/profile`]);
  const db = shop.storefront.db;

  // One shopper per cell of the matrix and per row after it.
  const shoppers = await createShoppers(db, admin, CALLS.length * KINDS.length + 7, 'faults');
  const used: TakenShopper[] = [];
  return {
    ...partial,
    report: ctx.report,
    admin,
    shop,
    db,
    shoppers,
    used,
    takeShopper(origin = shop.url) {
      const shopper = shoppers[used.length];
      if (!shopper) throw new Error('out of shoppers');
      const responses: ShopResponse[] = [];
      const client = new ShopClient(origin, { observe: (response) => responses.push(response) });
      const taken = { shopper, client, responses };
      used.push(taken);
      return taken;
    },
  };
}

/**
 * A storefront in this process on the section's SQLite file and clock, talking to the emulator
 * child; `env` adds to (or overrides) the configuration all of them share.
 */
export function startInProcessShop(
  matrix: Pick<Matrix, 'ctx' | 'emulatorUrl' | 'clock' | 'errorLogs'>,
  env: Record<string, string> = {},
): Promise<RunningStorefront> {
  const logger = createLogger('warn', {
    write(line: string) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= 50) matrix.errorLogs.push(`${entry.msg}: ${entry.err?.message ?? ''}`);
      } catch {
        // not JSON
      }
    },
  });
  return startStorefront(
    (port) =>
      parseEnv({
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: join(matrix.ctx.tmpDir, 'faults.db'),
        CONNECT_BASE_URL: matrix.emulatorUrl,
        CONNECT_AUTH_URL: `${matrix.emulatorUrl}/oauth/authorize`,
        INSTACART_WEB_URL: matrix.emulatorUrl,
        SESSION_IDLE_SECONDS: String(30 * 86_400),
        // All shoppers come from 127.0.0.1: the per-address sign-in limit is raised explicitly.
        SIGNIN_ADDRESS_LIMIT: '1000000',
        LOG_LEVEL: 'warn',
        ...env,
      }),
    { now: () => new Date(Date.now() + matrix.clock.offsetMs), logger },
  );
}

/** The 5xx answers among `responses`, as `status path`. */
export function fiveXx(responses: readonly ShopResponse[]): string[] {
  return responses
    .filter((response) => response.status >= 500)
    .map((response) => `${response.status} ${new URL(response.url).pathname}`);
}

/** Links in the emulator that join a shopper to someone else's Instacart account. */
export async function wrongLinksNow(matrix: Matrix): Promise<Array<[string, number]>> {
  return wrongLinks(await shopLinks(matrix.admin), matrix.shoppers);
}

/** Whether the storefront holds a link record for this user. */
export async function hasLinkRecord(matrix: Matrix, userId: string): Promise<boolean> {
  const row = await matrix.db
    .selectFrom('cartlink_link_records')
    .select('user_id')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The order row and its ledger entry (`cartlink_delivery_discounts`), when an order was placed. */
export async function orderRecords(matrix: Matrix, orderId: string | null) {
  if (!orderId) return { row: undefined, ledger: undefined };
  const row = await matrix.db
    .selectFrom('shop_orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirst();
  const ledger = await matrix.db
    .selectFrom('cartlink_delivery_discounts')
    .selectAll()
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  return { row, ledger };
}

/** A clean link: fresh verification, the Link press, sandbox authorize with its PKCE challenge, callback. */
export async function linkCleanly(
  matrix: Matrix,
  { client, shopper }: TakenShopper,
): Promise<{ outcome: string }> {
  const verified = await verify(client);
  if (verified.status?.state !== 'unlinked')
    return { outcome: `status ${verified.status?.state ?? verified.http}` };
  const link = await startLink(client);
  const code = await consent(matrix.admin, shopper.instacartUserId, link);
  const result = await postCallback(client, { code, state: link.state });
  return { outcome: result.outcome ?? `HTTP ${result.http}` };
}

/** Puts a fault of `kind` on `route`. */
export async function applyFault(matrix: Matrix, route: FaultedRoute, kind: FaultKind): Promise<void> {
  // The request log tells when the requests a delay holds have been answered (see removeFault).
  if (kind.emulator.delay_ms) await matrix.admin.clearRequests();
  await matrix.admin.addFault({ method: route.method, path: route.path, ...kind.emulator });
}

/**
 * Removes every fault. After a delay, also waits until the emulator has answered each request the
 * fault held back: the storefront gave up on them, but the emulator still runs them to their end (a
 * late link, a token), and the next check must meet the state they leave.
 */
export async function removeFault(matrix: Matrix, kind: FaultKind): Promise<void> {
  const delayMs = kind.emulator.delay_ms ?? 0;
  const held = delayMs > 0 ? (await matrix.admin.faults()).reduce((sum, fault) => sum + fault.hits, 0) : 0;
  await matrix.admin.clearFaults();
  if (held === 0) return;
  const deadline = performance.now() + delayMs + 10_000;
  for (;;) {
    // The log records a request once it is answered, with how long that took.
    const answered = (await matrix.admin.requests()).filter((entry) => entry.duration_ms >= delayMs - 5);
    if (answered.length >= held) return;
    if (performance.now() > deadline) {
      throw new Error(`${held - answered.length} of ${held} delayed requests still unanswered`);
    }
    await sleep(50);
  }
}
