/**
 * @module The audit trail: one structured log line for each event a security review asks about
 * (OWASP ASVS V16: who did what, when, with what result). Each line carries `audit: true`, the event
 * name, the shop user id when one is known, and a few plain fields; never a password, token, state,
 * code, cookie or session id (the logger's redaction is a second line of defence, not the first).
 */
import type { LinkingEvent } from '@cartlink/linking';
import type { Logger } from './logger.js';

/** The events of the audit trail. */
export type AuditEvent =
  | { event: 'sign-in-failed'; userId: string | null; reason: 'unknown-account' | 'wrong-password' }
  | { event: 'sign-in-succeeded'; userId: string }
  | { event: 'signed-out'; userId: string; everywhere: boolean }
  | {
      event: 'throttled';
      userId: string | null;
      /** Which limit refused the request. */
      limit: 'sign-in-account' | 'sign-in-address' | 'link-start';
      retryAfterSeconds: number;
    }
  | { event: 'link-started'; userId: string }
  | { event: 'link-completed'; userId: string; outcome: string; detail: string | null }
  | { event: 'unlink-noticed'; userId: string }
  | {
      event: 'discount-granted';
      userId: string;
      orderId: string;
      waivedCents: number;
      verification: 'fresh' | 'grace';
    };

/** Writes audit events to the log. */
export interface AuditLog {
  record(event: AuditEvent): void;
}

/**
 * Creates the audit log on top of the shop's logger. Events are written at `info`, whatever else is
 * logged, so that `LOG_LEVEL=info` (the default) keeps the whole trail.
 * @example
 * const audit = createAuditLog(logger);
 * audit.record({ event: 'sign-in-succeeded', userId: user.id });
 */
export function createAuditLog(logger: Logger): AuditLog {
  const auditLogger = logger.child({ audit: true });
  return {
    record(event) {
      auditLogger.info(event, `audit ${event.event}`);
    },
  };
}

/**
 * The audit event for a linking event, or null for the ones the trail does not keep (verifications
 * happen on most page loads; they are operational logs, not an account's history). Carries only the
 * user id and outcome: a linking event holds no secret, and this mapping copies no other field.
 * @example
 * createLinking({ ..., onEvent: (event) => { const entry = auditEventForLinking(event); if (entry) audit.record(entry); } });
 */
export function auditEventForLinking(event: LinkingEvent): AuditEvent | null {
  switch (event.type) {
    case 'link-started':
      return { event: 'link-started', userId: event.userId };
    case 'link-completed':
      return { event: 'link-completed', userId: event.userId, outcome: event.outcome, detail: event.detail };
    case 'unlink-noticed':
      return { event: 'unlink-noticed', userId: event.userId };
    default:
      return null;
  }
}
