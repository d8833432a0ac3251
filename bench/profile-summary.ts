/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof`): self time by module and by
 * function, and inclusive time of the project's own functions.
 *
 *   npx ts-node --transpile-only bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

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

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  sampledMs: number;
  /** Sampled time minus idle: what the process spent CPU on. */
  busyMs: number;
  /** Each sample charged to the nearest frame (leaf upwards) that belongs to a known concern. */
  byConcern: Share[];
  byModule: Share[];
  topSelf: Share[];
  topInclusive: Share[];
}

/** Where a frame's code lives: an npm package, a part of the project, node itself, or V8. */
export function moduleOf(f: CallFrame): string {
  const { url, functionName } = f;
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: V8/native)';
    if (/^validate\d*$/.test(functionName)) return 'ajv (generated validators)';
    return `(native/builtin)`;
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) {
    const p = url
      .slice(5)
      .replace(/^internal\//, '')
      .split('/');
    return `node:${p[0]}`;
  }
  const app = /\/dist\/apps\/([^/]+)\/src\/(.+)\.js$/.exec(url);
  if (app) return `${app[1]}/${app[2]}`;
  const lib = /\/dist\/libs\/([^/]+)\/src\/(.+)\.js$/.exec(url);
  if (lib) return `libs/${lib[1]}/${lib[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** Concerns of the attempt-service's and the notifier's hot paths, tested against each frame from the leaf up. */
const CONCERNS: [string, (f: CallFrame) => boolean][] = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  [
    'kafkajs consume (fetch, decode)',
    (f) => /kafkajs\/src\/(consumer|protocol\/requests\/fetch)/.test(f.url),
  ],
  [
    'kafkajs produce (encode, send)',
    (f) => /kafkajs\/src\/(producer|protocol\/requests\/produce)/.test(f.url),
  ],
  [
    'ajv validation',
    (f) => /\/ajv|schema-validator/.test(f.url) || (f.url === '' && /^validate\d*$/.test(f.functionName)),
  ],
  ['command parsing (JSON.parse)', (f) => f.url.includes('command-parser')],
  ['event building (JSON.stringify)', (f) => f.url.includes('event-factory')],
  ['logging (pino)', (f) => /\/pino|@pinojs|logging\/logger/.test(f.url)],
  [
    'pg client (protocol, row parsing)',
    (f) => /\/(pg|pg-protocol|pg-types|postgres-[a-z]+)\/|sql-runner/.test(f.url),
  ],
  [
    'batch in memory and row mapping (BatchUnit, repository, rows)',
    (f) => /batch-unit|attempt-batch\.repository|persistence\/[a-z-]+\.row/.test(f.url),
  ],
  ['outbox relay', (f) => f.url.includes('outbox-relay')],
  ['domain rules', (f) => f.url.includes('/libs/domain/')],
  ['use case and handlers (process-commands, commands/)', (f) => /process-commands|application\/commands\//.test(f.url)],
  ['metrics (prom-client)', (f) => f.url.includes('prom-client')],
  // the notifier's
  ['notifier: SendGrid request (@sendgrid/mail, axios, HTTP)', (f) => /\/@sendgrid\/|\/axios\/|\/form-data\/|notifier\/src\/email\/|^node:_?http/.test(f.url)],
  ['notifier: delivery ledger and worker', (f) => /notifier\/src\/(persistence|application)\//.test(f.url)],
];

/** Tried only when no frame of the stack belongs to one of the concerns above. */
const FALLBACK_CONCERNS: [string, (f: CallFrame) => boolean][] = [
  ['other kafkajs (network, scheduling)', (f) => f.url.includes('kafkajs/')],
  ['Nest, rxjs', (f) => /@nestjs|\/rxjs\//.test(f.url)],
];

function functionKey(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (f.url === '') return name;
  const file = f.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/dist\//, '');
  return `${name} ${file}:${f.lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  // The profiler's own work (stopping and serialising the profile, under the bench's preload) is
  // left out: it is not the service's.
  const excluded = new Set<number>();
  const exclude = (node: ProfileNode, inside: boolean): void => {
    const now = inside || node.callFrame.url.includes('cpu-profile.preload');
    if (now) excluded.add(node.id);
    for (const c of node.children ?? []) {
      const child = byId.get(c);
      if (child) exclude(child, now);
    }
  };
  if (profile.nodes[0]) exclude(profile.nodes[0], false);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (!excluded.has(id)) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });

  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const concernOf = (id: number): string => {
    for (const rules of [CONCERNS, FALLBACK_CONCERNS]) {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const f = byId.get(cur)?.callFrame;
        if (!f) break;
        if (f.functionName === '(idle)') return '(idle)';
        for (const [name, test] of rules) if (test(f)) return name;
      }
    }
    return 'other (node internals, sockets, timers)';
  };
  const concerns = new Map<string, number>();
  for (const [id, ms] of self) {
    const c = concernOf(id);
    concerns.set(c, (concerns.get(c) ?? 0) + ms);
  }

  const sampledMs = [...self.values()].reduce((a, b) => a + b, 0);
  let idleMs = 0;
  const modules = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, ms] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const mod = moduleOf(f);
    if (mod === '(idle)') idleMs += ms;
    modules.set(mod, (modules.get(mod) ?? 0) + ms);
    const key = functionKey(f);
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  const busyMs = sampledMs - idleMs;

  // Inclusive (synchronous) time of the project's own functions: each node's subtree, counted once
  // per call path (a recursive or re-entrant function is not counted twice).
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0];
  const walk = (node: ProfileNode, open: Set<string>): number => {
    let total = self.get(node.id) ?? 0;
    const key = functionKey(node.callFrame);
    const ours = /\/dist\/(apps|libs)\//.test(node.callFrame.url);
    const counted = ours && !open.has(key);
    if (counted) open.add(key);
    for (const c of node.children ?? []) {
      const child = byId.get(c);
      if (child) total += walk(child, open);
    }
    if (counted) {
      open.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + total);
    }
    return total;
  };
  if (root) walk(root, new Set());

  const shares = (m: Map<string, number>, n: number, skipIdle: boolean): Share[] =>
    [...m]
      .filter(([name]) => !(skipIdle && (name === '(idle)' || name.startsWith('(idle)'))))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({
        name,
        ms: Math.round(ms),
        pct: busyMs > 0 ? Math.round((ms / busyMs) * 1000) / 10 : 0,
      }));

  return {
    sampledMs: Math.round(sampledMs),
    busyMs: Math.round(busyMs),
    byConcern: shares(concerns, top, true),
    byModule: shares(modules, top, true),
    topSelf: shares(functions, top, true),
    topInclusive: shares(inclusive, top, false),
  };
}

export function formatProfileSummary(title: string, s: ProfileSummary): string {
  const table = (rows: Share[]) =>
    rows
      .map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}`)
      .join('\n');
  return [
    `${title}: ${s.busyMs} ms busy of ${s.sampledMs} ms sampled (percentages are of busy time)`,
    'by concern (each sample charged to its nearest known frame, leaf upwards):',
    table(s.byConcern),
    'self time by module:',
    table(s.byModule),
    'top functions by self time:',
    table(s.topSelf),
    'project functions by inclusive (synchronous) time:',
    table(s.topInclusive),
  ].join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(
    `${formatProfileSummary(file, summarizeProfile(profile, Number(process.argv[3] ?? 25)))}\n`,
  );
}
