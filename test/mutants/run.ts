/**
 * `npm run test:mutants`: mutation testing of the shaders and of the host code that packs their
 * uniforms and dispatches them. Each mutation in test/mutants/list.ts is applied alone to a scratch
 * copy of the repository (or, with --in-place, to this checkout), the GPU cases relevant to the
 * mutated file run on Node's Dawn in a fresh process (test/mutants/child.ts), and the file is
 * restored in `finally` (and on Ctrl-C) before the next mutation. A mutant is killed when a case
 * fails (or the run crashes or hangs); a surviving mutant is a missing test.
 *
 * Before anything runs, every entry is checked: its file exists and its original snippet occurs in
 * it exactly once. A stale entry (the kernel changed under it) fails the whole run loudly.
 *
 * Usage: node scripts/run.mjs test/mutants/run.ts [--sample] [--only ID,ID] [--in-place] [--no-baseline] [--timeout S] [--check]
 * Exit status: 0 every mutant killed; 1 a survivor or a failing baseline; 2 a stale or malformed list.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { casesFor, mutants, type Mutant } from './list.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const timeoutS = Number(opt('--timeout') ?? 150);

interface Outcome {
  id: string;
  kind: string;
  file: string;
  status: 'killed' | 'survived' | 'timeout';
  by: string;
  error?: string;
  ran: number;
  seconds: number;
}

/** Occurrences of `needle` in `hay` (non-overlapping). */
function count(hay: string, needle: string): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** Every problem with the list: missing files, snippets not found exactly once, duplicates, no-ops. */
export function validate(list: Mutant[], root: string): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const m of list) {
    if (ids.has(m.id)) problems.push(`${m.id}: duplicate id`);
    ids.add(m.id);
    if (m.find === m.replace) problems.push(`${m.id}: replacement equals the original`);
    if (!m.why) problems.push(`${m.id}: no reason given`);
    if (!(m.cases ?? casesFor[m.file])?.length && !m.tests?.length) problems.push(`${m.id}: no cases listed for ${m.file}`);
    for (const t of m.tests ?? []) if (!existsSync(join(root, t))) problems.push(`${m.id}: test file ${t} does not exist`);
    const path = join(root, m.file);
    if (!existsSync(path)) {
      problems.push(`${m.id}: ${m.file} does not exist`);
      continue;
    }
    const n = count(readFileSync(path, 'utf8'), m.find);
    if (n !== 1) problems.push(`${m.id}: original snippet found ${n} times in ${m.file} (expected exactly once): ${JSON.stringify(m.find)}`);
  }
  return problems;
}

/** A scratch copy of the repository (node_modules linked), so mutations never touch the checkout. */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'webmf-mutants-'));
  const skip = new Set(['node_modules', '.git', 'dist', 'test-artifacts', '.cache']);
  for (const e of readdirSync(repo)) {
    if (skip.has(e)) continue;
    cpSync(join(repo, e), join(dir, e), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

let child: ChildProcess | null = null;
let restore: (() => void) | null = null;
let scratch: string | null = null;

function onSignal(sig: NodeJS.Signals): void {
  try {
    restore?.();
  } finally {
    child?.kill('SIGKILL');
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    console.error(`\nmutants: ${sig}: restored the mutated file, stopping`);
    process.exit(130);
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

/** Runs one child process (tracked in `child` for the signal handlers), killed after limitS; its stdout and stderr together. */
function spawnLogged(args: string[], root: string, env: NodeJS.ProcessEnv, limitS: number): Promise<{ log: string; code: number | null; timedOut: boolean }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    let log = '';
    p.stdout!.on('data', (d) => (log += d));
    p.stderr!.on('data', (d) => (log += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, limitS * 1000);
    p.on('close', (code) => {
      clearTimeout(timer);
      child = null;
      resolve({ log, code, timedOut });
    });
  });
}

async function runCases(root: string, filters: string[], all = false, limitS = timeoutS): Promise<{ killedBy: string | null; error?: string; ran: number; failures?: string[]; timedOut: boolean; log: string }> {
  const args = ['--import', join(root, 'scripts/register.mjs'), join(root, 'test/mutants/child.ts'), JSON.stringify(filters), ...(all ? ['--all'] : [])];
  const { log, timedOut } = await spawnLogged(args, root, process.env, limitS);
  const line = log.split('\n').find((l) => l.startsWith('@@result '));
  if (line) return { ...JSON.parse(line.slice(9)), timedOut, log };
  return { killedBy: timedOut ? '(timeout)' : '(runner exited without a result)', error: log.slice(-400), ran: 0, timedOut, log };
}

/** Node test files in place of GPU cases (host logic): killed when any selected test fails. */
async function runTests(root: string, files: string[], pattern: string | undefined, limitS = timeoutS): Promise<{ killedBy: string | null; error?: string; ran: number; timedOut: boolean; log: string }> {
  const args = [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...files, ...(pattern ? ['-t', pattern] : [])];
  const { log, code, timedOut } = await spawnLogged(args, root, { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, limitS);
  const passed = Number(/Tests\s+(?:\d+ failed \| )?(\d+) passed/.exec(log)?.[1] ?? 0);
  const failed = / FAIL\s+(.*)/.exec(log)?.[1]?.trim();
  if (code === 0 && passed > 0) return { killedBy: null, ran: passed, timedOut, log };
  return { killedBy: timedOut ? '(timeout)' : (failed ?? `(${files.join(', ')} exited ${code}${passed === 0 ? ', no test ran' : ''})`), error: log.slice(-400), ran: passed, timedOut, log };
}

const pad = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

async function main(): Promise<number> {
  let list = mutants;
  const only = opt('--only');
  if (only) {
    const want = new Set(only.split(','));
    list = list.filter((m) => want.has(m.id));
    const missing = [...want].filter((id) => !list.some((m) => m.id === id));
    if (missing.length) {
      console.error(`mutants: unknown id(s): ${missing.join(', ')}`);
      return 2;
    }
  } else if (flag('--sample')) list = list.filter((m) => m.sample);

  const problems = validate(mutants, repo);
  if (problems.length) {
    console.error(`mutants: the list in test/mutants/list.ts is stale or malformed (${problems.length} problem(s)); fix these entries:`);
    for (const p of problems) console.error(`  - ${p}`);
    return 2;
  }
  if (flag('--check')) {
    console.log(`mutants: ${mutants.length} entries, every snippet found exactly once`);
    return 0;
  }

  const inPlace = flag('--in-place');
  const root = inPlace ? repo : (scratch = scratchCopy());
  const t0 = Date.now();
  const outcomes: Outcome[] = [];
  try {
    console.log(`mutants: ${list.length} mutation(s), working in ${inPlace ? 'this checkout (restored after each)' : root}`);
    if (!flag('--no-baseline')) {
      const union = [...new Set(list.filter((m) => !m.tests).flatMap((m) => m.cases ?? casesFor[m.file]))];
      // the baseline runs every selected case once: allow it far longer than one mutant
      const b = union.length ? await runCases(root, union, true, Math.max(1200, 10 * timeoutS)) : null;
      if (b && (b.killedBy !== null || b.ran === 0)) {
        console.error(`mutants: the unmutated code fails its own cases (${b.failures?.join('; ') ?? b.killedBy}): ${b.error}\n${b.log.slice(-2000)}`);
        return 1;
      }
      // and every selected test file, once, unpatterned
      const files = [...new Set(list.flatMap((m) => m.tests ?? []))];
      const t = files.length ? await runTests(root, files, undefined, Math.max(600, 4 * timeoutS)) : null;
      if (t && t.killedBy !== null) {
        console.error(`mutants: the unmutated code fails its own tests (${t.killedBy}): ${t.log.slice(-2000)}`);
        return 1;
      }
      console.log(`mutants: baseline: ${b?.ran ?? 0} case(s) and ${t?.ran ?? 0} test(s) pass on the unmutated code (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    for (const m of list) {
      const path = join(root, m.file);
      const original = readFileSync(path, 'utf8');
      const t = Date.now();
      let r: Awaited<ReturnType<typeof runCases>>;
      // A WebAssembly text kernel runs from its committed bytes: the mutant is rebuilt into them, and they are put back.
      const generated = m.file.endsWith('.wat') ? join(root, m.file.replace(/\.wat$/, '-wasm.ts')) : null;
      const bytes = generated ? readFileSync(generated, 'utf8') : '';
      restore = () => {
        writeFileSync(path, original);
        if (generated) writeFileSync(generated, bytes);
      };
      try {
        writeFileSync(path, original.replace(m.find, () => m.replace));
        if (generated) {
          const b = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs')], { cwd: root, encoding: 'utf8' });
          if (b.status !== 0) throw new Error(`${m.id}: the mutated ${m.file} does not build: ${b.stderr.slice(0, 400)}`);
        }
        r = m.tests ? await runTests(root, m.tests, m.testPattern) : await runCases(root, m.cases ?? casesFor[m.file]);
      } finally {
        restore();
        restore = null;
      }
      const o: Outcome = {
        id: m.id, kind: m.kind, file: m.file, ran: r.ran, seconds: (Date.now() - t) / 1000,
        status: r.timedOut ? 'timeout' : r.killedBy === null ? 'survived' : 'killed',
        by: r.killedBy ?? '', error: r.error,
      };
      outcomes.push(o);
      const what = o.status === 'survived' ? `SURVIVED (${o.ran} cases passed)` : o.status === 'timeout' ? `killed (hung past ${timeoutS} s)` : `killed by: ${o.by}`;
      console.log(`  ${pad(m.id, 30)} ${pad(m.kind, 10)} ${o.seconds.toFixed(0).padStart(4)} s  ${what}`);
      if (o.status === 'killed' && /GpuError|ShaderError|compil/i.test(o.error ?? '')) console.log(`      (note: the mutant did not compile: ${o.error?.slice(0, 160)})`);
    }
  } finally {
    if (!inPlace) rmSync(root, { recursive: true, force: true });
    scratch = null;
  }

  const killed = outcomes.filter((o) => o.status !== 'survived');
  console.log('\nmutant                          kind        file                                  killed by');
  for (const o of outcomes) {
    console.log(`${pad(o.id, 32)}${pad(o.kind, 12)}${pad(o.file, 38)}${o.status === 'survived' ? 'SURVIVED' : o.status === 'timeout' ? '(hang)' : o.by}`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  console.log(`\nmutation score: ${killed.length}/${outcomes.length} killed (${((100 * killed.length) / Math.max(1, outcomes.length)).toFixed(0)}%), ${secs} s`);
  mkdirSync(join(repo, 'test-artifacts'), { recursive: true });
  writeFileSync(join(repo, 'test-artifacts', flag('--sample') ? 'mutants-sample.json' : 'mutants.json'), JSON.stringify({ killed: killed.length, total: outcomes.length, seconds: Number(secs), outcomes }, null, 2));
  return killed.length === outcomes.length ? 0 : 1;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    restore?.();
    console.error(`mutants: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
