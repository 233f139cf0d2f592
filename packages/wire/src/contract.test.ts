/**
 * The two readings of the contract are one: what the linking handler writes and what the elements
 * parse are the types declared here, checked by the type check (`npx tsc -p tsconfig.json`); and
 * this package is types only, so nothing of it exists at run time.
 */
import { existsSync, readFileSync } from 'node:fs';
import type * as Elements from '@cartlink/elements';
import type * as Linking from '@cartlink/linking';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  FailureOutcome,
  LinkOutcome,
  LinkOutcomeParam,
  LinkResult,
  LinkState,
  LinkStateReason,
  ReportedOutcome,
  StatusView,
} from './index.js';

type LinkingApi = Linking.Linking;

describe('the status (GET {basePath}/status)', () => {
  it('is what the handler answers and what the element parses', () => {
    // The handler answers `linking.getStatus` (and `verifyMembership` for POST {basePath}/verify).
    expectTypeOf<Awaited<ReturnType<LinkingApi['getStatus']>>>().toEqualTypeOf<StatusView>();
    expectTypeOf<Awaited<ReturnType<LinkingApi['verifyMembership']>>>().toEqualTypeOf<StatusView>();
    expectTypeOf<NonNullable<ReturnType<typeof Elements.parseStatusView>>>().toEqualTypeOf<StatusView>();
    expectTypeOf<Parameters<Elements.CartlinkStatus['applyStatus']>[0]>().toEqualTypeOf<
      StatusView | undefined
    >();
  });

  it('is re-exported under the same names by both packages', () => {
    expectTypeOf<Linking.StatusView>().toEqualTypeOf<StatusView>();
    expectTypeOf<Elements.StatusView>().toEqualTypeOf<StatusView>();
    expectTypeOf<Linking.LinkState>().toEqualTypeOf<LinkState>();
    expectTypeOf<Elements.LinkState>().toEqualTypeOf<LinkState>();
    expectTypeOf<Elements.ServerStatusState>().toEqualTypeOf<LinkState>();
    expectTypeOf<Linking.LinkStateReason>().toEqualTypeOf<LinkStateReason>();
    expectTypeOf<Elements.StatusState>().toEqualTypeOf<LinkState | 'loading'>();
  });
});

describe('the link answer (POST {basePath}/link)', () => {
  it('is the outcome and status of completing a link, and what the element parses', () => {
    // The handler answers these two fields of `linking.completeLink`; `detail` stays on the server.
    expectTypeOf<
      Pick<Awaited<ReturnType<LinkingApi['completeLink']>>, 'outcome' | 'status'>
    >().toEqualTypeOf<LinkResult>();
    expectTypeOf<NonNullable<ReturnType<typeof Elements.parseLinkResult>>>().toEqualTypeOf<LinkResult>();
    expectTypeOf<Elements.LinkResult>().toEqualTypeOf<LinkResult>();
  });
});

describe('the outcomes', () => {
  it('are the same on both sides, runtime lists included', () => {
    expectTypeOf<Linking.LinkOutcome>().toEqualTypeOf<LinkOutcome>();
    expectTypeOf<Elements.LinkOutcome>().toEqualTypeOf<LinkOutcome>();
    expectTypeOf<(typeof Linking.LINK_OUTCOMES)[number]>().toEqualTypeOf<LinkOutcome>();
    expectTypeOf<(typeof Elements.LINK_OUTCOMES)[number]>().toEqualTypeOf<LinkOutcome>();
    expectTypeOf<Elements.FailureOutcome>().toEqualTypeOf<FailureOutcome>();
    expectTypeOf<Elements.FailedDetail['outcome']>().toEqualTypeOf<FailureOutcome>();
  });

  it('reported in the address bar are `throttled` and `failed`, under one parameter name', () => {
    expectTypeOf<ReportedOutcome>().toEqualTypeOf<'throttled' | 'failed'>();
    expectTypeOf<Elements.ReportedOutcome>().toEqualTypeOf<ReportedOutcome>();
    expectTypeOf<typeof Linking.LINK_OUTCOME_PARAM>().toEqualTypeOf<LinkOutcomeParam>();
    expectTypeOf<typeof Elements.LINK_OUTCOME_PARAM>().toEqualTypeOf<LinkOutcomeParam>();
  });
});

describe('the package', () => {
  it('compiles to an empty module', () => {
    const file = new URL('../dist/index.js', import.meta.url);
    expect(existsSync(file), 'packages/wire is not built: run `npx tsc -b tsconfig.build.json`').toBe(true);
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\/\/# sourceMappingURL=.*$/m, '');
    expect(code.trim()).toBe('export {};');
  });
});
