/**
 * Turns the first zod issue of a refused body into Connect's `{message, meta.key}` vocabulary,
 * with Rails-style messages (`can't be blank`, `is invalid`) like the real service.
 */
import type { z } from 'zod';

/** The field a body was refused for, and why. */
export interface FieldError {
  key: string;
  message: string;
}

/** Maps the first issue of `error` (raised on `input`) to a {@link FieldError}. */
export function toFieldError(error: z.ZodError, input: Record<string, unknown>): FieldError {
  const issue = error.issues[0];
  if (!issue) return { key: 'body', message: 'is invalid' };
  if (issue.code === 'unrecognized_keys')
    return { key: issue.keys[0] ?? 'body', message: 'is not a known field' };
  const key = typeof issue.path[0] === 'string' ? issue.path[0] : 'body';
  const value = input[key];
  if (issue.code === 'invalid_type' && (value === undefined || value === null)) {
    return { key, message: "can't be blank" };
  }
  if (issue.code === 'too_small' && typeof value === 'string') return { key, message: "can't be blank" };
  if (issue.code === 'too_big') return { key, message: 'is too long' };
  if (issue.code === 'custom') return { key, message: issue.message };
  return { key, message: 'is invalid' };
}
