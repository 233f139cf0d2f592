/**
 * @module The billing period of the reconciliation report: reading `from`/`to` from the query string
 * (whole UTC days, `to` inclusive) and listing the days for the chart.
 * @see README.md, Glossary ("delivery discount", "ledger")
 */

/** A billing period of whole UTC days. */
export interface ReportPeriod {
  /** First day, `YYYY-MM-DD`. */
  fromDay: string;
  /** Last day, `YYYY-MM-DD`, included. */
  toDay: string;
  /** Start of `fromDay`, UTC. */
  from: Date;
  /** Start of the day after `toDay`, UTC: the ledger's exclusive end. */
  to: Date;
}

/** A `from`/`to` the report cannot use; `message` says what is wrong, for a 400 page. */
export class PeriodError extends Error {
  readonly code = 'invalid_period';
  readonly status = 400;
  override name = 'PeriodError';
}

const DAY_MS = 86_400_000;

/** Longest period the report shows at once: a year and a day covers any billing year. */
export const MAX_PERIOD_DAYS = 366;

/** Parses a strict `YYYY-MM-DD` that names a real calendar day; null otherwise (2025-02-30 included). */
export function parseDay(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value ? date : null;
}

/** `YYYY-MM-DD` of a date's UTC day. */
export function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The current UTC month, first to last day: the report's default period. */
export function currentMonth(now: Date): { fromDay: string; toDay: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0));
  return { fromDay: formatDay(first), toDay: formatDay(last) };
}

/**
 * Reads the period from the query's `from` and `to`. A missing value takes the current month's
 * bound; a present one, even empty, must be a real `YYYY-MM-DD` (the report's form never sends an
 * empty one, so `from=` is a malformed link, not a request for the default).
 * @throws {PeriodError} for a malformed day, `from` after `to`, or a period over {@link MAX_PERIOD_DAYS}.
 */
export function parsePeriod(
  query: { from?: string | undefined; to?: string | undefined },
  now: Date,
): ReportPeriod {
  const defaults = currentMonth(now);
  const fromDay = query.from ?? defaults.fromDay;
  const toDay = query.to ?? defaults.toDay;
  const from = parseDay(fromDay);
  if (from === null)
    throw new PeriodError('"from" must be a date written YYYY-MM-DD, for example 2025-01-31');
  const last = parseDay(toDay);
  if (last === null) throw new PeriodError('"to" must be a date written YYYY-MM-DD, for example 2025-01-31');
  if (last.getTime() < from.getTime()) throw new PeriodError('"from" must not be after "to"');
  const days = (last.getTime() - from.getTime()) / DAY_MS + 1;
  if (days > MAX_PERIOD_DAYS) throw new PeriodError(`The period may span at most ${MAX_PERIOD_DAYS} days`);
  return { fromDay, toDay, from, to: new Date(last.getTime() + DAY_MS) };
}

/** Every day of the period, `YYYY-MM-DD`, in order. */
export function listDays(period: ReportPeriod): string[] {
  const days: string[] = [];
  for (let time = period.from.getTime(); time < period.to.getTime(); time += DAY_MS) {
    days.push(formatDay(new Date(time)));
  }
  return days;
}
