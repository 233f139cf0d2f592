/**
 * @module Instacart's side of the resilience run, through the emulator's typed admin client
 * (`@cartlink/emulator/testing`): the shop's application, the links as Instacart holds them, and the
 * comparison every section ends with, the storefront's link records against those links.
 */
import { DEMO_SEED } from '@cartlink/emulator';
import type { EmulatorAdmin } from '@cartlink/emulator/testing';
import type { Shopper } from './shoppers';

/** The demo application the storefront children sign in as. */
export const SHOP_APP = DEMO_SEED.app;

/** Registers (replaces) the demo application with the storefronts' redirect URIs. */
export function registerShop(admin: EmulatorAdmin, redirectUris: string[]): Promise<void> {
  return admin.registerApp({
    client_id: SHOP_APP.clientId,
    client_secret: SHOP_APP.clientSecret,
    name: SHOP_APP.name,
    redirect_uris: redirectUris,
  });
}

/** The links of the demo application, user id → Instacart account id. */
export async function shopLinks(admin: EmulatorAdmin): Promise<Map<string, number>> {
  const { links } = await admin.state();
  return new Map(
    links
      .filter((link) => link.client_id === SHOP_APP.clientId)
      .map((link) => [link.user_id, link.instacart_user_id]),
  );
}

/** The storefront's link records against Instacart's links. */
export interface LinkAgreement {
  /** Users with a link record and no link at Instacart. */
  onlyDb: string[];
  /** Users linked at Instacart without a link record. */
  onlyEmulator: string[];
  /** Links that join a shopper to another shopper's Instacart account. */
  wrong: Array<[string, number]>;
}

/** Compares link records with links; `shoppers` say whose Instacart account is whose. */
export function compareLinks(
  records: ReadonlySet<string>,
  links: ReadonlyMap<string, number>,
  shoppers: readonly Shopper[],
): LinkAgreement {
  return {
    onlyDb: [...records].filter((id) => !links.has(id)),
    onlyEmulator: [...links.keys()].filter((id) => !records.has(id)),
    wrong: wrongLinks(links, shoppers),
  };
}

/** Links that join a shopper to someone else's Instacart account. */
export function wrongLinks(
  links: ReadonlyMap<string, number>,
  shoppers: readonly Shopper[],
): Array<[string, number]> {
  const own = new Map(shoppers.map((shopper) => [shopper.id, shopper.instacartUserId]));
  return [...links].filter(([userId, instacartId]) => own.get(userId) !== instacartId);
}
