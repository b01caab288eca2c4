/**
 * A fixed sample of the mutation list (the entries marked `sample` in test/mutants/list.ts,
 * including both audit mutants) runs with every `npm test`: each must be killed, and the whole list
 * must still match the code (a stale snippet fails here). `npm run test:mutants` runs all of them.
 * The harness mutates a scratch copy, so the other test files running meanwhile see clean sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { casesFor, mutants } from './mutants/list.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('mutation testing (fixed sample)', () => {
  it('the list has at least 40 mutants, each with a reason, including both audit mutants in the sample', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(40);
    const sample = mutants.filter((m) => m.sample).map((m) => m.id);
    expect(sample).toContain('sgd.hogwild-drop-every-20th');
    expect(sample).toContain('rank.self-tie-direct');
    for (const m of mutants) expect(m.why.length, m.id).toBeGreaterThan(10);
  });

  it('every kernel in shaders/ has mutants in the list and cases to run against them', () => {
    for (const f of readdirSync(`${root}shaders`).filter((n) => n.endsWith('.wgsl'))) {
      const file = `shaders/${f}`;
      expect(mutants.filter((m) => m.file === file).length, `${file}: add its mutants to test/mutants/list.ts`).toBeGreaterThan(0);
      expect(casesFor[file]?.length, `${file}: name the GPU cases that run it in casesFor`).toBeGreaterThan(0);
    }
  });

  it('every sampled mutant is killed by the GPU suite, and no entry of the list is stale', () => {
    const r = spawnSync(process.execPath, ['--import', `${root}scripts/register.mjs`, `${root}test/mutants/run.ts`, '--sample'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out).toBe(0);
    const j = JSON.parse(readFileSync(`${root}test-artifacts/mutants-sample.json`, 'utf8'));
    expect(j.total).toBe(mutants.filter((m) => m.sample).length);
    expect(j.killed, out).toBe(j.total);
    expect(existsSync(`${root}test-artifacts/mutants-sample.json`)).toBe(true);
  }, 300_000);
});
