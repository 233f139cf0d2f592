/**
 * Fault injection for the Connect routes: answer with a chosen status and body, wait before the
 * real handler, or drop the connection. A fault fires a number of `times` or with a `probability`
 * drawn from its own seeded generator, so a flaky scenario replays identically from its seed.
 */
import { z } from 'zod';
import { createRandomToken, createSeededRandom } from './random.js';
import { type FieldError, toFieldError } from './validation.js';

/** A fault as the typed helper takes it (the admin API takes the same in snake_case). */
export interface FaultSpec {
  /** HTTP method to match, any when absent. */
  method?: string;
  /**
   * Path to match; `*` stands for exactly one segment (`/v2/fulfillment/users/*\/link`), and `**` as the
   * last segment for one or more (`/v2/**`: every Connect API call).
   */
  path: string;
  /** Answer with this status instead of running the real handler. */
  status?: number;
  /** JSON body sent with `status`; Connect's error shape when absent. */
  body?: unknown;
  /**
   * A body sent byte for byte instead of JSON (with `content-type: text/plain` unless `headers` say
   * otherwise): for malformed answers such as truncated JSON or an HTML error page.
   */
  rawBody?: string;
  /** Headers added to the `status` answer, e.g. `{"retry-after": "2"}`. */
  headers?: Record<string, string>;
  /** Wait this long first (then the real handler, or `status`, or `drop`). */
  delayMs?: number;
  /** Destroy the connection without an answer (in process: the fetch rejects). */
  drop?: boolean;
  /** Fire this many times, then disappear. */
  times?: number;
  /** Fire with this probability (0 to 1) per matching request. */
  probability?: number;
  /** Seed of the probability draws; 1 when absent, so runs are reproducible by default. */
  seed?: number;
}

/** An active fault as `GET /_emulator/faults` lists it. */
export interface FaultView {
  /** The id `POST /_emulator/faults` answered. */
  id: string;
  /** The method it matches (upper case), or `null` for any. */
  method: string | null;
  /** The path pattern it matches. */
  path: string;
  /** The status it answers with, or `null` (a delay or a drop). */
  status: number | null;
  /** The delay before the answer, in milliseconds, or `null`. */
  delay_ms: number | null;
  /** Whether it drops the connection. */
  drop: boolean;
  /** How many hits it fires for in all, or `null` for no limit. */
  times: number | null;
  /** Its probability per matching request, or `null` (always). */
  probability: number | null;
  /** The seed of its draws, when it has a probability. */
  seed: number | null;
  /** How many times it has fired. */
  hits: number;
}

/** What the fault middleware must do with one request. */
export interface FaultAction {
  delayMs: number;
  drop: boolean;
  /** A response to send instead of the real handler's, when set. */
  status?: number;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Thrown to make the server drop the connection; in process it surfaces as a failed fetch. */
export class ConnectionDroppedError extends Error {
  /** Always `ConnectionDroppedError`. */
  override name = 'ConnectionDroppedError';
  constructor() {
    super('Connection dropped by an emulator fault');
  }
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** A last pattern segment that stands for one or more path segments. */
const REST = '**';

/** The admin API's fault body. */
export const faultInputSchema = z
  .strictObject({
    method: z
      .string()
      .regex(/^[A-Za-z]{1,16}$/)
      .optional(),
    path: z
      .string()
      .max(2048)
      .refine((path) => path.startsWith('/'), { message: 'must start with /' })
      .refine((path) => !path.split('/').slice(0, -1).includes(REST), {
        message: '** stands only as the last segment',
      }),
    status: z.int().min(200).max(599).optional(),
    body: z.json().optional(),
    raw_body: z.string().max(65_536).optional(),
    headers: z
      .record(
        z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
        z
          .string()
          .max(1024)
          .regex(/^[^\r\n]*$/),
      )
      .optional(),
    delay_ms: z.int().min(0).max(120_000).optional(),
    drop: z.boolean().optional(),
    times: z.int().min(1).optional(),
    probability: z.number().min(0).max(1).optional(),
    seed: z.int().optional(),
  })
  .superRefine((fault, ctx) => {
    if (fault.status === undefined && fault.drop !== true && fault.delay_ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['status'],
        message: 'one of status, delay_ms or drop is required',
      });
    }
    if (fault.drop === true && fault.status !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['drop'], message: 'drop and status exclude each other' });
    }
    if (fault.body !== undefined && fault.status === undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'body needs a status' });
    }
    for (const key of ['raw_body', 'headers'] as const) {
      if (fault[key] !== undefined && fault.status === undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} needs a status` });
      }
    }
    if (fault.raw_body !== undefined && fault.body !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['raw_body'], message: 'raw_body and body exclude each other' });
    }
    if (fault.body !== undefined && fault.status !== undefined && NULL_BODY_STATUSES.has(fault.status)) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `status ${fault.status} has no body` });
    }
  });

interface Fault {
  id: string;
  spec: FaultSpec;
  segments: string[];
  random: () => number;
  hits: number;
}

/** Validates a snake_case fault body into a {@link FaultSpec}. */
export function parseFaultInput(
  input: Record<string, unknown>,
): { ok: true; spec: FaultSpec } | { ok: false; error: FieldError } {
  const parsed = faultInputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: toFieldError(parsed.error, input) };
  const { delay_ms, raw_body, ...rest } = parsed.data;
  const spec: FaultSpec = { ...rest };
  if (delay_ms !== undefined) spec.delayMs = delay_ms;
  if (raw_body !== undefined) spec.rawBody = raw_body;
  return { ok: true, spec };
}

/** Converts a typed {@link FaultSpec} to the admin API's snake_case body. */
export function toFaultInput(spec: FaultSpec): Record<string, unknown> {
  const { delayMs, rawBody, ...rest } = spec;
  return {
    ...rest,
    ...(delayMs === undefined ? {} : { delay_ms: delayMs }),
    ...(rawBody === undefined ? {} : { raw_body: rawBody }),
  };
}

function splitPath(path: string): string[] {
  return path.split('/');
}

function matches(pattern: string[], path: string[]): boolean {
  if (pattern.at(-1) === REST) {
    const prefix = pattern.slice(0, -1);
    return (
      path.length > prefix.length &&
      (path[prefix.length] ?? '') !== '' &&
      matches(prefix, path.slice(0, prefix.length))
    );
  }
  if (pattern.length !== path.length) return false;
  return pattern.every((segment, index) => {
    const actual = path[index] ?? '';
    return segment === '*' ? actual.length > 0 : segment === actual;
  });
}

/** The active faults, in the order they were added. */
export class FaultSet {
  private faults: Fault[] = [];

  /** Adds a validated fault and returns its id. */
  add(spec: FaultSpec): string {
    const id = `fault_${createRandomToken(9)}`;
    this.faults.push({
      id,
      spec,
      segments: splitPath(spec.path),
      random: createSeededRandom(spec.seed ?? 1),
      hits: 0,
    });
    return id;
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /** The active faults, for the admin API. */
  list(): FaultView[] {
    return this.faults.map(({ id, spec, hits }) => ({
      id,
      method: spec.method?.toUpperCase() ?? null,
      path: spec.path,
      status: spec.status ?? null,
      delay_ms: spec.delayMs ?? null,
      drop: spec.drop === true,
      times: spec.times ?? null,
      probability: spec.probability ?? null,
      seed: spec.probability === undefined ? null : (spec.seed ?? 1),
      hits,
    }));
  }

  /**
   * Decides the fate of one request: the first matching fault that fires wins. A probability
   * fault draws once for each matching request that reaches it, so with one fault on a path the
   * same seed fires on the same requests every run.
   */
  take(method: string, path: string): FaultAction | undefined {
    const segments = splitPath(path);
    for (const fault of this.faults) {
      const { spec } = fault;
      if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!matches(fault.segments, segments)) continue;
      if (spec.probability !== undefined && !(fault.random() < spec.probability)) continue;
      fault.hits++;
      if (spec.times !== undefined && fault.hits >= spec.times) {
        this.faults = this.faults.filter((other) => other !== fault);
      }
      const action: FaultAction = { delayMs: spec.delayMs ?? 0, drop: spec.drop === true };
      if (spec.status !== undefined) {
        action.status = spec.status;
        action.body = spec.body;
        if (spec.rawBody !== undefined) action.rawBody = spec.rawBody;
        if (spec.headers !== undefined) action.headers = spec.headers;
      }
      return action;
    }
    return undefined;
  }
}
