/**
 * @module Strict reading of the numbers that forms and query strings carry. `Number('')` is 0,
 * `Number.parseInt('1e3', 10)` is 1 and `Number.parseInt('NaN', 10)` is NaN, which a later
 * `Number.isInteger` check silently skipped: a malformed field must be refused with a 400, never read
 * as some other number or ignored. Every numeric field of the shop goes through {@link integerField}
 * and {@link parseFields}.
 */
import { z } from 'zod';
import { HttpError } from './http.js';

/**
 * An integer as the shop's own pages write it: ASCII digits, an optional leading `-`, no leading zero,
 * no `+`, no spaces, no exponent, no hex, no fraction. So `NaN`, `1e3`, ` 1`, `0x10`, `1.5`, `01` and
 * the empty string are all refused, however `Number()` would read them.
 */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]{0,15})$/;

/**
 * A schema for one integer field, bounded by `min` and `max` (both included); its error message, shown
 * to the shopper on the 400 page, names the field by `label`.
 * @example
 * const schema = z.object({ quantity: integerField('quantity', { min: 1, max: 20 }).optional() });
 */
export function integerField(label: string, bounds: { min: number; max: number }) {
  const message = `The ${label} must be a whole number from ${bounds.min} to ${bounds.max}.`;
  return z
    .string({ error: message })
    .regex(INTEGER_TEXT, { error: message })
    .transform(Number)
    .pipe(z.number().int().min(bounds.min, { error: message }).max(bounds.max, { error: message }));
}

/**
 * Parses form fields or query parameters with `schema`; anything malformed becomes an
 * {@link HttpError} 400 whose page says which field was wrong (never echoing the value).
 * @throws {HttpError} 400 when a field does not match.
 * @example
 * const { expectedFeeCents } = parseFields(checkoutSchema, fields);
 */
export function parseFields<Schema extends z.ZodType>(
  schema: Schema,
  fields: Readonly<Record<string, string | undefined>>,
): z.output<Schema> {
  const parsed = schema.safeParse(fields);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'The form held a value the shop cannot read.';
  throw new HttpError(400, 'Invalid form', `${message} Go back, reload the page and try again.`);
}
