/**
 * Type tests of the public API that hosts code against: the handler's hooks, the subject it reads
 * and the events it emits. A change here breaks retailers' code, so it must be deliberate.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type {
  Linking,
  LinkingEvent,
  LinkingHandlerOptions,
  LinkingRequestSubject,
  LinkingSubject,
  LinkOutcome,
  StatusView,
} from './index.js';

describe('the public API', () => {
  it('lets the host limit link starts per subject and request', () => {
    expectTypeOf<NonNullable<LinkingHandlerOptions['limitLinkStart']>>().toEqualTypeOf<
      (subject: LinkingSubject, request: Request) => Promise<{ retryAfterSeconds: number } | null>
    >();
  });

  it('reads an optional CSRF token and locale with the subject', () => {
    expectTypeOf<LinkingRequestSubject['csrfToken']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ReturnType<LinkingHandlerOptions['getSubject']>>().toEqualTypeOf<
      Promise<LinkingRequestSubject | null>
    >();
  });

  it('starts a link and returns only the authorization URL', () => {
    expectTypeOf<Linking['startLink']>().parameter(0).toEqualTypeOf<LinkingSubject>();
    expectTypeOf<ReturnType<Linking['startLink']>>().toEqualTypeOf<Promise<{ authorizationUrl: string }>>();
  });

  it('has no authorization URL in the status', () => {
    expectTypeOf<StatusView>().not.toHaveProperty('authorizationUrl');
  });

  it('emits link-started and unlink-noticed with the user id only', () => {
    expectTypeOf<Extract<LinkingEvent, { type: 'link-started' }>>().toEqualTypeOf<{
      type: 'link-started';
      userId: string;
    }>();
    expectTypeOf<Extract<LinkingEvent, { type: 'unlink-noticed' }>>().toEqualTypeOf<{
      type: 'unlink-noticed';
      userId: string;
    }>();
    expectTypeOf<LinkingEvent['type']>().toEqualTypeOf<
      'link-started' | 'link-completed' | 'unlink-noticed' | 'membership-verified' | 'membership-unverifiable'
    >();
  });

  it('has the throttled outcome', () => {
    expectTypeOf<'throttled'>().toExtend<LinkOutcome>();
  });
});
