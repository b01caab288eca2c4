/**
 * The command line under stress: Ctrl-C during training keeps the finished iterations, --save never leaves half a
 * file, --data reads folders one level deep without escaping through symlinks, FIFOs and stdin, and the reading flags
 * the error messages name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { zipSync } from 'fflate';
import { decodeModel } from '../src/model/io.ts';
import { main } from '../src/cli/main.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
let dir: string;

function webmf(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/webmf.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ratingsCsv(nUsers: number, nItems: number, perUser: number): string {
  const lines = ['userId,movieId,rating'];
  for (let u = 0; u < nUsers; u++) for (let k = 0; k < perUser; k++) lines.push(`${u + 1},${((u * 7 + k * 13) % nItems) + 1},${1 + ((u + k) % 5)}`);
  return lines.join('\n') + '\n';
}

/**
 * The command in this process (no spawn: a second each on a busy machine): its exit code, or the one-line error it
 * throws (what the entry point prints after "webmf: error: "), with stdout and stderr captured.
 */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return { code: await main(args), stdout, stderr };
  } catch (err) {
    const name = (err as Error).constructor.name;
    return { code: name === 'UsageError' ? 2 : 1, stdout, stderr: stderr + `webmf: error: ${(err as Error).message.split('\n')[0]}\n` };
  } finally {
    process.chdir(cwd);
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'webmf-cli-rel-'));
  writeFileSync(join(dir, 'small.csv'), ratingsCsv(40, 30, 8));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webmf train: stops keep finished work', () => {
  it('Ctrl-C saves the model of the last finished iteration to --save, says so and exits 130', async () => {
    writeFileSync(join(dir, 'big.csv'), ratingsCsv(3000, 400, 12));
    const child = spawn(process.execPath, [join(root, 'bin/webmf.js'), 'train', '--data', 'big.csv', '--backend', 'cpu', '--rank', '8', '--iters', '100000', '--save', 'int.webmf'], {
      cwd: dir,
      detached: true, // its own process group, as a terminal's job: the signal goes to the group, like Ctrl-C
    });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      let sent = false;
      child.stderr.on('data', (d) => {
        stderr += d;
        if (!sent && /als 2\/100000/.test(stderr)) {
          sent = true;
          process.kill(-child.pid!, 'SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    const m = /the model of iteration (\d+) \(the last finished one\) was saved to int\.webmf/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const { data } = decodeModel(readFileSync(join(dir, 'int.webmf')));
    expect(data.hyperparams.iterations).toBe(Number(m![1]));
    expect(Number(m![1])).toBeGreaterThanOrEqual(2);
    expect(data.userFactors.every(Number.isFinite)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('a second Ctrl-C quits at once: exit 130, and never half a model file', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/webmf.js'), 'train', '--data', 'big.csv', '--backend', 'cpu', '--rank', '8', '--iters', '100000', '--save', 'twice.webmf'], { cwd: dir, detached: true });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      let stage = 0;
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stage === 0 && /als 1\/100000/.test(stderr)) {
          stage = 1;
          process.kill(-child.pid!, 'SIGINT');
        } else if (stage === 1 && /interrupt: stopping/.test(stderr)) {
          stage = 2;
          process.kill(-child.pid!, 'SIGINT');
        }
      });
      child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + 2 : null)));
    });
    expect(code, stderr).toBe(130);
    // Killed before or after the save: either no file or a whole one, never a temporary one left behind.
    if (existsSync(join(dir, 'twice.webmf'))) expect(decodeModel(readFileSync(join(dir, 'twice.webmf'))).data.rank).toBe(8);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('--save replaces the file atomically (no temporary file left, old content never half-overwritten)', async () => {
    writeFileSync(join(dir, 'm.webmf'), 'old');
    const r = await run(['train', '--data', 'small.csv', '--backend', 'cpu', '--rank', '2', '--iters', '2', '--save', 'm.webmf', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(decodeModel(readFileSync(join(dir, 'm.webmf'))).data.rank).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const bad = await run(['train', '--data', 'small.csv', '--backend', 'cpu', '--rank', '2', '--iters', '1', '--save', 'no-such-dir/m.webmf', '--quiet']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no-such-dir\/m\.webmf: cannot write model/);
  });

  it('--algo gd --lr 1e6 says every step was rejected and exits non-zero', async () => {
    const r = await run(['train', '--data', 'small.csv', '--backend', 'cpu', '--algo', 'gd', '--lr', '1e6', '--iters', '4', '--quiet', '--save', 'gd.webmf']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GD rejected all 4 steps/);
    expect(r.stderr).toMatch(/no iteration had finished, so nothing was saved \(gd\.webmf left as they were\)/);
    expect(existsSync(join(dir, 'gd.webmf'))).toBe(false);
  });

  it('--rank 1000000 --backend cpu is a one-line LimitError saying what fits', async () => {
    const r = await run(['train', '--data', 'small.csv', '--backend', 'cpu', '--rank', '1000000', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^webmf: error: ALS at rank 1000000 .* the largest rank that fits is \d+/);
    expect(r.stderr.trim().split('\n').length).toBe(1);
  });
});

describe('webmf train --data: where the ratings come from', () => {
  it('a folder is searched one level down, never through a symlink out of it, and the file chosen is named', async () => {
    const d = join(dir, 'tree');
    mkdirSync(join(d, 'ml', 'deeper', 'deepest'), { recursive: true });
    writeFileSync(join(d, 'ml', 'deeper', 'deepest', 'ratings.csv'), ratingsCsv(10, 10, 3));
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'ratings.csv'), ratingsCsv(10, 10, 3));
    symlinkSync(outside, join(d, 'escape'));
    symlinkSync(join(d, 'loop'), join(d, 'loop'));
    const none = await run(['train', '--data', d, '--backend', 'cpu', '--iters', '1']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no ratings file found .* in the folder and one level down/);
    writeFileSync(join(d, 'ml', 'ratings.csv'), ratingsCsv(10, 10, 3));
    const ok = await run(['train', '--data', d, '--backend', 'cpu', '--iters', '1', '--rank', '2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`from ${join(d, 'ml', 'ratings.csv')}`);
  });

  it('a FIFO, /dev/stdin and --data - (stdin) are streamed, not "empty input"', () => {
    const csv = ratingsCsv(20, 15, 5);
    const fromStdin = webmf(['train', '--data', '-', '--backend', 'cpu', '--iters', '1', '--rank', '2', '--json'], csv);
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout).ratings).toBe(100);
    const devStdin = webmf(['train', '--data', '/dev/stdin', '--backend', 'cpu', '--iters', '1', '--rank', '2', '--json'], csv);
    expect(devStdin.code, devStdin.stderr).toBe(0);
    expect(JSON.parse(devStdin.stdout).ratings).toBe(100);
    const fifo = join(dir, 'ratings.fifo');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(join(dir, 'fifo-src.csv'), csv);
    // The writer runs on its own (this process blocks in spawnSync below): it opens the FIFO and copies a file in.
    const writer = spawn('sh', ['-c', `cat fifo-src.csv > "${fifo}"`], { cwd: dir, stdio: 'ignore' });
    const viaFifo = webmf(['train', '--data', fifo, '--backend', 'cpu', '--iters', '1', '--rank', '2', '--json']);
    expect(viaFifo.code, viaFifo.stderr).toBe(0);
    expect(JSON.parse(viaFifo.stdout).ratings).toBe(100);
    writer.kill();
  });

  it('a parse error mid-file closes the file (no FileHandle left to the garbage collector)', () => {
    const lines = ratingsCsv(2000, 50, 10).split('\n');
    lines.splice(15000, 0, '1,2,oops');
    writeFileSync(join(dir, 'broken.csv'), lines.join('\n'));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', join(root, 'scripts/register.mjs'), '-e', `
      const { readRatingsFile } = await import(${JSON.stringify(join(root, 'src/data/node.ts'))});
      try { await readRatingsFile('broken.csv', { chunkSize: 4096 }); } catch (e) { console.log(e.message); }
      globalThis.gc(); await new Promise((r) => setTimeout(r, 200)); globalThis.gc(); await new Promise((r) => setTimeout(r, 200));
    `], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toMatch(/broken\.csv:15001: field 3 is not a number/);
    expect(r.stderr).not.toMatch(/Closing file descriptor|DEP0137/);
  });

  it('--columns, --implicit, --duplicates and --entry exist and the error messages name them', async () => {
    writeFileSync(join(dir, 'odd.tsv'), 'a\tb\tc\n1\t2\t3\n2\t2\t4\n1\t2\t5\n');
    const dup = await run(['train', '--data', 'odd.tsv', '--backend', 'cpu', '--iters', '1', '--rank', '1']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/--columns USER,ITEM,RATING/);
    const dup2 = await run(['train', '--data', 'odd.tsv', '--columns', 'a,b,c', '--backend', 'cpu', '--iters', '1', '--rank', '1']);
    expect(dup2.stderr).toMatch(/odd\.tsv:2 and odd\.tsv:4; .*--duplicates last\|mean\|sum/);
    const ok = await run(['train', '--data', 'odd.tsv', '--columns', '0,1,2', '--duplicates', 'mean', '--backend', 'cpu', '--iters', '1', '--rank', '1', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).ratings).toBe(2);
    writeFileSync(join(dir, 'pairs.csv'), 'user,item\n1,2\n2,3\n3,1\n');
    const two = await run(['train', '--data', 'pairs.csv', '--backend', 'cpu', '--iters', '1', '--rank', '1']);
    expect(two.stderr).toMatch(/--implicit/);
    const imp = await run(['train', '--data', 'pairs.csv', '--implicit', '--algo', 'ials', '--backend', 'cpu', '--iters', '1', '--rank', '1', '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    writeFileSync(join(dir, 'plays.zip'), zipSync({ 'data/plays.csv': new TextEncoder().encode(ratingsCsv(10, 8, 3)) }));
    const noEntry = await run(['train', '--data', 'plays.zip', '--backend', 'cpu', '--iters', '1', '--rank', '1']);
    expect(noEntry.stderr).toMatch(/found data\/plays\.csv\); pass entry \(--entry NAME on the command line\)/);
    const withEntry = await run(['train', '--data', 'plays.zip', '--entry', 'plays.csv', '--backend', 'cpu', '--iters', '1', '--rank', '1', '--json']);
    expect(withEntry.code, withEntry.stderr).toBe(0);
    expect(JSON.parse(withEntry.stdout).ratings).toBe(30);
    const bad = await run(['train', '--data', 'pairs.csv', '--columns', 'user', '--backend', 'cpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--columns takes USER,ITEM\[,RATING\[,TIME\]\]/);
  });
});
