/**
 * @module Cleanup and bounded work in the resilience run: every child, database handle and in-process
 * server a section starts is registered in a {@link Scope} and released in reverse order, each step
 * bounded in time, also when the section fails or the run is interrupted (SIGINT, the hard time
 * limit); {@link withTimeout} and {@link mapLimit} bound a wait and a crowd.
 */
import { describeError, type Report } from './report';

/** Scopes not closed yet, so that an interrupted run can still clean up after every section. */
const openScopes = new Set<Scope>();

/** Cleanup steps run in reverse order of registration, each bounded in time, errors collected. */
export class Scope {
  private readonly steps: Array<{ label: string; run: () => Promise<void> | void }> = [];

  constructor() {
    openScopes.add(this);
  }

  /** Registers a cleanup step. */
  add(label: string, run: () => Promise<void> | void): void {
    this.steps.push({ label, run });
  }

  /** Runs every step (last registered first); returns the failures as text. */
  async close(): Promise<string[]> {
    openScopes.delete(this);
    const failures: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      if (!step) break;
      try {
        await withTimeout(Promise.resolve(step.run()), 20_000, `cleanup ${step.label}`);
      } catch (error) {
        failures.push(`${step.label}: ${describeError(error)}`);
      }
    }
    return failures;
  }
}

/** Closes every scope still open (on SIGINT or the hard time limit); returns the failures. */
export async function closeOpenScopes(): Promise<string[]> {
  const failures: string[] = [];
  for (const scope of [...openScopes].reverse()) failures.push(...(await scope.close()));
  return failures;
}

/**
 * Runs a section's body in a scope of its own and closes it afterwards, whatever happened; a cleanup
 * that fails is a row of the table (`expected` says what cleaning up means for this section).
 */
export async function inScope(
  report: Report,
  section: string,
  expected: string,
  body: (scope: Scope) => Promise<void>,
): Promise<void> {
  const scope = new Scope();
  try {
    await body(scope);
  } finally {
    const failures = await scope.close();
    if (failures.length > 0) {
      report.add({ section, did: 'cleanup', expected, happened: failures.join('; '), ok: false });
    }
  }
}

/** Rejects after `ms` with a message naming `label`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}
