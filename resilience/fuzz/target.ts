/**
 * @module What section 5 fuzzes and how a row is judged. A {@link Target} is one endpoint (or one
 * family of them) with a fast-check arbitrary and a function that turns a sample into a request;
 * {@link runTarget} sends a fixed number of samples from a fixed seed (so a failure replays), each
 * with a unique marker `<x-fuzz-N>`, and judges every answer: below 500, no stack trace or source
 * path, and the marker never raw in an HTML page.
 */
import fc from 'fast-check';
import { histogram, type Report } from '../lib/report';
import { mapLimit } from '../lib/scope';
import { REPO_ROOT } from '../lib/servers';
import { materialize } from './hostile';

export const SECTION = '5 fuzz';
/** The base seed of every sample; the i-th target of the run uses SEED + i. */
export const SEED = 20_251_129;
const PER_REQUEST_TIMEOUT_MS = 10_000;

/** Everything a request builder may use: origins, sessions, tokens. */
export interface FuzzEnv {
  shop: string;
  emulator: string;
  redirectUri: string;
  shopperCookie: string;
  shopperCsrf: string;
  adminCookie: string;
  anonCookie: string;
  anonCsrf: string;
  /** The demo application's fulfillment token. */
  bearer: string;
  /** A signed-out visit to the emulator's consent page: its session cookie and form fields. */
  emulatorLogin: { cookie: string; csrf: string; authorizationId: string };
}

/** One request, as fetch will send it. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** One fuzzed endpoint (or family of endpoints). */
export interface Target {
  name: string;
  server: 'storefront' | 'emulator';
  /** Samples per run (fewer under `--quick`). */
  runs: number;
  /** One request at a time (targets that change shared state), else eight. */
  serial: boolean;
  build(numRuns: number, seed: number): Array<(env: FuzzEnv, marker: string) => FuzzRequest>;
  /** After each request: undo what a valid sample may have changed. */
  after?: ((env: FuzzEnv) => Promise<void>) | undefined;
  /** After the last request of the target. */
  afterAll?: ((env: FuzzEnv) => Promise<void>) | undefined;
}

/** A target from an arbitrary and a request builder; `{M}` and `{E}` in a sample become the marker. */
export function target<T>(spec: {
  name: string;
  server: 'storefront' | 'emulator';
  runs?: number;
  serial?: boolean;
  arbitrary: fc.Arbitrary<T>;
  request: (value: T, env: FuzzEnv) => FuzzRequest;
  after?: (env: FuzzEnv) => Promise<void>;
  afterAll?: (env: FuzzEnv) => Promise<void>;
}): Target {
  return {
    name: spec.name,
    server: spec.server,
    runs: spec.runs ?? 300,
    serial: spec.serial ?? false,
    after: spec.after,
    afterAll: spec.afterAll,
    build: (numRuns, seed) =>
      fc
        .sample(spec.arbitrary, { numRuns, seed })
        .map((value) => (env, marker) => spec.request(materialize(value, marker), env)),
  };
}

/** The markers of the run: `<x-fuzz-N>`, never repeated. */
export const MARKER = /<x-fuzz-\d+>/;
let markerCounter = 0;

/** A marker not used before in this run. */
export function nextMarker(): string {
  return `<x-fuzz-${++markerCounter}>`;
}

const repoPath = REPO_ROOT.replace(/\/$/, '');
/** `at fn (file:line:col)` frames, source paths, repository paths. */
const STACK_TRACE = new RegExp(
  [
    String.raw`\n\s+at (?:async )?[\w$.<>\[\] ]+ \(`,
    String.raw`\bat (?:file:\/\/|\/|node:)[^\s)]+:\d+:\d+`,
    String.raw`\/node_modules\/`,
    String.raw`[\w-]+\.(?:ts|js|mjs):\d+:\d+`,
    repoPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
  ].join('|'),
);

/** An answer, its body read. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Sends one request as it is (hostile paths, headers and bodies go out raw: that is the attack).
 * `clientSide`: fetch refused to build it, so nothing reached the server.
 */
export async function execute(
  request: FuzzRequest,
): Promise<Answer | { error: string; clientSide: boolean }> {
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(PER_REQUEST_TIMEOUT_MS),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.text(),
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError')
      return { error: `no answer within ${PER_REQUEST_TIMEOUT_MS} ms`, clientSide: false };
    if (error instanceof TypeError && error.message === 'fetch failed') {
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
      return { error: `connection failed without an answer (${cause})`, clientSide: false };
    }
    // fetch refused to build the request (an invalid URL or header): nothing reached the server.
    return { error: error instanceof Error ? error.message : String(error), clientSide: true };
  }
}

/** What is wrong with an answer, or null. */
export function judge(answer: Answer, request: FuzzRequest): string | null {
  if (answer.status >= 500) return `HTTP ${answer.status}`;
  const isAsset = answer.status === 200 && /\/assets\//.test(new URL(request.url).pathname);
  if (!isAsset && STACK_TRACE.test(answer.body))
    return `stack trace or source path in the body: "${STACK_TRACE.exec(answer.body)?.[0]}"`;
  if (/html/i.test(answer.contentType) && MARKER.test(answer.body))
    return 'input reflected unescaped in HTML';
  return null;
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` body=${JSON.stringify(request.body.slice(0, 120))}`;
  return `${request.method} ${request.url.slice(0, 160)}${body}`;
}

/** Sends `runs` samples of a target from `seed`; returns what failed and the statuses seen. */
export async function runTarget(target: Target, env: FuzzEnv, runs: number, seed: number) {
  const builders = target.build(runs, seed);
  const failures: string[] = [];
  const statuses: string[] = [];
  let clientRefused = 0;
  await mapLimit(builders, target.serial ? 1 : 8, async (build) => {
    const request = build(env, nextMarker());
    const answer = await execute(request);
    if (target.after) await target.after(env);
    if ('error' in answer) {
      if (answer.clientSide) clientRefused++;
      else failures.push(`${answer.error}: ${describeRequest(request)}`);
      return;
    }
    statuses.push(String(answer.status));
    const problem = judge(answer, request);
    if (problem) failures.push(`${problem}: ${describeRequest(request)}`);
  });
  if (target.afterAll) await target.afterAll(env);
  return { failures, statuses, clientRefused };
}

/** Runs a target and adds its row; returns how many requests it sent. */
export async function reportTarget(
  report: Report,
  target: Target,
  env: FuzzEnv,
  runs: number,
  seed: number,
): Promise<number> {
  const { failures, statuses, clientRefused } = await runTarget(target, env, runs, seed);
  report.add({
    section: SECTION,
    did: `${target.name}: ${runs} fast-check runs (seed ${seed})`,
    expected: 'an answer < 500 to every request; no stack trace or source path; no raw <x-fuzz-N> in HTML',
    happened: `statuses ${histogram(statuses)}${clientRefused ? `; ${clientRefused} not sendable by fetch` : ''}; failures ${failures.length}${failures.length ? `: ${[...new Set(failures)].slice(0, 3).join(' ‖ ')}` : ''}`,
    ok: failures.length === 0,
  });
  return runs;
}
