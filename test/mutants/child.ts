/**
 * Runs the shared GPU cases whose names contain any of the given substrings (argv[2], a JSON array;
 * [] runs them all), in suite order, on Node's Dawn, and stops at the first failure. Prints one line
 * `@@result {"killedBy": name | null, "error": ..., "ran": n}` for test/mutants/run.ts to read.
 * A mutated file is read fresh by this process, so each mutant gets its own process.
 */
import { GpuContext } from '../../src/gpu/context.ts';
import { allCases, chunkCases } from '../gpu/all-cases.ts';

const filters: string[] = JSON.parse(process.argv[2] ?? '[]');
const keepGoing = process.argv.includes('--all');

function report(r: { killedBy: string | null; error?: string; ran: number; failures?: string[] }): void {
  process.stdout.write(`\n@@result ${JSON.stringify(r)}\n`);
}

async function main(): Promise<void> {
  const gpu = await GpuContext.create();
  let ran = 0;
  const failures: string[] = [];
  let first: { name: string; error: string } | null = null;
  try {
    for (const c of [...allCases, ...chunkCases]) {
      if (filters.length && !filters.some((f) => c.name.includes(f))) continue;
      ran++;
      try {
        await gpu.scoped(() => c.run(gpu));
      } catch (e) {
        const err = e as Error;
        const msg = `${err.name}: ${err.message}`.slice(0, 400);
        failures.push(c.name);
        if (!first) first = { name: c.name, error: msg };
        if (!keepGoing) break;
      }
    }
  } finally {
    gpu.destroy();
  }
  report({ killedBy: first?.name ?? null, error: first?.error, ran, failures });
}

main().then(
  () => process.exit(0),
  (e) => {
    report({ killedBy: '(runner crashed)', error: `${(e as Error).name}: ${(e as Error).message}`.slice(0, 400), ran: 0 });
    process.exit(0);
  },
);
