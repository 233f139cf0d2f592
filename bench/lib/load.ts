/**
 * @module Closed-loop HTTP load with autocannon: a fixed number of keep-alive connections, each sending
 * its next request as soon as the last answer arrived. Every response time is kept (autocannon's own
 * histogram has 1 ms resolution, too coarse for a route that answers in one).
 */
import type { EventEmitter } from 'node:events';
import autocannonUntyped from 'autocannon';

/**
 * The part of autocannon 9's API used here. The package ships no types; the ambient declaration in
 * `packages/emulator/scripts/` covers only the promise form, and the bench needs the `response` event.
 */
interface AutocannonInstance
  extends EventEmitter,
    PromiseLike<{ duration: number; errors: number; timeouts: number; non2xx: number }> {
  on(
    event: 'response',
    listener: (client: unknown, status: number, bytes: number, responseTime: number) => void,
  ): this;
}
const autocannon = autocannonUntyped as unknown as (options: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  duration: number;
  /** Seconds before a request counts as timed out. */
  timeout: number;
}) => AutocannonInstance;

/** One load run against one URL. */
export interface LoadRun {
  requests: number;
  durationSec: number;
  latenciesMs: number[];
  non2xx: number;
  errors: number;
}

/** Runs autocannon against `url` with a session cookie for `durationSec` seconds. */
export async function runLoad(options: {
  url: string;
  cookie: string;
  connections: number;
  durationSec: number;
}): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  const instance = autocannon({
    url: options.url,
    headers: { cookie: options.cookie, accept: 'application/json' },
    connections: options.connections,
    duration: options.durationSec,
    timeout: 10,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latenciesMs.push(responseTime);
  });
  const result = await instance;
  return {
    requests: latenciesMs.length,
    durationSec: result.duration,
    latenciesMs,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** The sum of several runs of one side. */
export function mergeRuns(runs: readonly LoadRun[]): LoadRun {
  return {
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    durationSec: runs.reduce((sum, run) => sum + run.durationSec, 0),
    latenciesMs: runs.flatMap((run) => run.latenciesMs),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}
