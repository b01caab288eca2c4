/**
 * Synthetic generator benchmark: each preset is generated in a fresh Node process; reported are the wall and CPU
 * time, ratings per second, peak RSS against the output arrays (the generator holds nothing per rating beyond them),
 * and the degree spread (max / median / min per user and per item).
 *
 *   node --import ./scripts/register.mjs bench/data-gen-bench.ts [preset ...]   (default: ml-latest-small ml-1m ml-25m)
 *   add `netflix` for 100M ratings (about 1.3 GB of memory).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

async function child(preset: string): Promise<void> {
  const { generatePreset } = await import('../src/data/synthetic.ts');
  const rss0 = process.memoryUsage().rss;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ds = generatePreset(preset, { seed: 1 });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r = ds.ratings;
  const packed = r.users.byteLength + r.items.byteLength + r.values.byteLength + (r.timestamps?.byteLength ?? 0);
  const spread = (d: Uint32Array) => {
    const s = Array.from(d).sort((a, b) => a - b);
    return `${s[s.length - 1]}/${s[s.length >> 1]}/${s[0]}`;
  };
  let sum = 0;
  for (let k = 0; k < r.values.length; k++) sum += r.values[k];
  process.stdout.write(
    JSON.stringify({
      preset,
      n: r.users.length,
      nUsers: r.nUsers,
      nItems: r.nItems,
      ms,
      cpuMs: (c.user + c.system) / 1000,
      packed,
      rss0,
      maxRss: process.resourceUsage().maxRSS * 1024,
      users: spread(ds.userDegrees),
      items: spread(ds.itemDegrees),
      mean: sum / r.values.length,
      timestamps: !!r.timestamps,
    }) + '\n',
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const presets = process.argv.slice(2).length ? process.argv.slice(2) : ['ml-latest-small', 'ml-1m', 'ml-25m'];
  console.log(`data-gen-bench: node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, CPU only`);
  const self = fileURLToPath(import.meta.url);
  for (const p of presets) {
    const out = execFileSync(process.execPath, ['--import', './scripts/register.mjs', self, '--child', p], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    console.log(
      `${p.padEnd(16)} ${r.n.toLocaleString('en-US')} ratings (${r.nUsers.toLocaleString('en-US')} x ${r.nItems.toLocaleString('en-US')}${r.timestamps ? ', timestamps' : ''}) ` +
        `in ${(r.ms / 1000).toFixed(2)} s wall / ${(r.cpuMs / 1000).toFixed(2)} s CPU = ${(r.n / (r.cpuMs / 1000) / 1e6).toFixed(2)} M ratings per CPU-second (load ${loadavg()[0].toFixed(1)}); ` +
        `output ${(r.packed / 1e6).toFixed(0)} MB, peak RSS ${(r.maxRss / 1e6).toFixed(0)} MB (${((r.maxRss - r.rss0) / 1e6).toFixed(0)} MB above start); ` +
        `degrees user ${r.users}, item ${r.items} (max/median/min); mean rating ${r.mean.toFixed(3)}`,
    );
  }
}

await main();
