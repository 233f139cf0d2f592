/**
 * @module Reads a V8 `.cpuprofile` (what `node --cpu-prof` and the inspector's `Profiler.stop` write)
 * and says where the time went: self time by function, self time by package, and inclusive time by
 * package (a sample counts once for every package on its stack, so "under pino" includes the native
 * write it ends in).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of a `.cpuprofile` used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

/** One row of a breakdown. */
export interface ProfileRow {
  name: string;
  ms: number;
  /** Share of the busy time (everything but idle), in percent. */
  percent: number;
}

/** Where a profile's time went. */
export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  topSelfFunctions: ProfileRow[];
  selfByPackage: ProfileRow[];
  /**
   * Each sample charged to the innermost npm package or Cartlink workspace on its stack: a native
   * SQLite call made by Kysely counts for Kysely, a socket write made by @hono/node-server for it.
   * Samples with none (Node's HTTP parser, timers) are `node (core)`.
   */
  attributedByPackage: ProfileRow[];
  inclusiveByPackage: ProfileRow[];
  /** Inclusive time of Cartlink's own functions (packages/ and apps/), the status path's steps. */
  inclusiveCartlinkFunctions: ProfileRow[];
  /**
   * Share of the busy time with a named kind of work on the stack (see {@link COST_CENTRES}). They
   * may overlap (a log line written from inside a database callback counts for both); together they
   * name where a request's time goes.
   */
  costCentres: ProfileRow[];
}

/**
 * Kinds of work, recognised by a frame's `functionName@url`. Async calls resume on their own stack,
 * so "inside getStatus" cannot be measured by ancestry; the kinds of work can.
 */
export const COST_CENTRES: readonly { name: string; frame: RegExp }[] = [
  { name: 'database: Kysely + better-sqlite3', frame: /\/node_modules\/(kysely|better-sqlite3)\// },
  {
    name: 'logging: pino, redaction, sonic-boom',
    frame: /\/node_modules\/(pino|@pinojs|sonic-boom|fast-redact)\//,
  },
  {
    name: 'HTTP response write (node-server to socket)',
    frame: /^(responseViaCache|responseViaResponseObject|writeFromReadableStream)@/,
  },
  // Node's fetch and its Request, Response and Headers classes all live in undici.
  { name: 'undici: fetch to Connect, Request/Response objects', frame: /@node:internal\/deps\/undici/ },
  { name: 'Web Crypto (digest, random)', frame: /@node:internal\/crypto\/webcrypto/ },
  {
    name: 'node:crypto (session hash, nonce)',
    frame: /^(createHash|randomBytes|Hash\.digest|createNonce|hashSessionId)@/,
  },
  { name: 'schema validation (zod)', frame: /\/node_modules\/zod\// },
  { name: 'garbage collection', frame: /^\(garbage collector\)@/ },
];

const REPO_MARKERS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/\/node_modules\/(@[^/]+\/[^/]+|[^/@][^/]*)\//, (m) => m[1] ?? 'node_modules'],
  [/\/packages\/([^/]+)\//, (m) => `@cartlink/${m[1]}`],
  [/\/apps\/([^/]+)\//, (m) => `app:${m[1]}`],
  [/\/bench\//, () => 'bench'],
];

/** The package a frame belongs to: an npm package, a Cartlink workspace, `node:<module>`, or a VM bucket. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (['(root)', '(idle)', '(program)', '(garbage collector)'].includes(functionName)) return functionName;
    return '(native)';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  for (const [pattern, name] of REPO_MARKERS) {
    const match = pattern.exec(url);
    if (match) return name(match);
  }
  return '(other)';
}

/** Packages that only carry a call: Node's own modules, V8's buckets, the bench's wrapper. */
const NOT_OWNERS = /^(node:|\(|bench$)/;

function shortUrl(url: string): string {
  const index = url.search(/\/(node_modules|packages|apps|bench)\//);
  return index === -1 ? url : url.slice(index + 1);
}

function frameKey(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  return frame.url ? `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
}

function toRows(map: Map<string, number>, busyUs: number, top: number): ProfileRow[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 100) / 10,
      percent: Math.round((us / busyUs) * 1000) / 10,
    }));
}

/** Summarises a profile; `top` rows per breakdown. */
export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  const attributed = new Map<string, number>();
  const inclusiveByPackage = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  const centres = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

  const stackOf = (nodeId: number): CallFrame[] => {
    const frames: CallFrame[] = [];
    for (let id: number | undefined = nodeId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame) break;
      frames.push(frame);
    }
    return frames;
  };

  profile.samples.forEach((nodeId, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    const node = byId.get(nodeId);
    if (!node) return;
    const stack = stackOf(nodeId);
    // The profiler's own start and stop (inspector calls, the control channel's messages over IPC) are
    // not the app's. The control channel is bundled into the compiled shell, so it is told by Node's
    // IPC frames, not by its file.
    if (
      stack.some((frame) => frame.url === 'node:inspector' || frame.url === 'node:internal/child_process')
    ) {
      return;
    }
    totalUs += us;
    const pkg = packageOf(node.callFrame);
    if (pkg === '(idle)') {
      idleUs += us;
      return;
    }
    add(selfByFunction, frameKey(node.callFrame), us);
    add(selfByPackage, pkg, us);
    const owner = stack.map(packageOf).find((name) => !NOT_OWNERS.test(name));
    add(attributed, owner ?? (pkg.startsWith('(') && pkg !== '(native)' ? pkg : 'node (core)'), us);
    const labels = stack.map((frame) => `${frame.functionName}@${frame.url}`);
    for (const centre of COST_CENTRES) {
      if (labels.some((label) => centre.frame.test(label))) add(centres, centre.name, us);
    }
    const packagesSeen = new Set<string>();
    const functionsSeen = new Set<string>();
    for (const frame of stack) {
      const framePackage = packageOf(frame);
      if (!packagesSeen.has(framePackage)) {
        packagesSeen.add(framePackage);
        add(inclusiveByPackage, framePackage, us);
      }
      if (framePackage.startsWith('@cartlink/') || framePackage.startsWith('app:')) {
        const key = frameKey(frame);
        if (!functionsSeen.has(key)) {
          functionsSeen.add(key);
          add(inclusiveByFunction, key, us);
        }
      }
    }
  });
  const busyUs = Math.max(1, totalUs - idleUs);
  // Frames every sample passes through say nothing about where the time went.
  for (const name of ['(root)', '(native)', 'bench']) inclusiveByPackage.delete(name);
  for (const name of [...inclusiveByPackage.keys()])
    if (name.startsWith('node:')) inclusiveByPackage.delete(name);
  return {
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    topSelfFunctions: toRows(selfByFunction, busyUs, top),
    selfByPackage: toRows(selfByPackage, busyUs, top),
    attributedByPackage: toRows(attributed, busyUs, top),
    inclusiveByPackage: toRows(inclusiveByPackage, busyUs, top),
    inclusiveCartlinkFunctions: toRows(inclusiveByFunction, busyUs, top),
    costCentres: toRows(centres, busyUs, COST_CENTRES.length),
  };
}
