/**
 * Reader benchmark: a synthetic ratings.csv with the shape of MovieLens 25M (25,000,095 lines, ~680 MB: users,
 * items, half-star ratings, Unix timestamps) is written to a temp folder and read with the streaming reader
 * (readRatingsFile: 4 MiB chunks from a Node stream, parsed straight into typed arrays).
 *
 * Each read runs in a fresh Node process so its peak memory (maxRSS) is its own. Reported: MB/s (file bytes / wall
 * time of the read), and peak RSS against the packed arrays (users + items + values + timestamps). One warm-up
 * read (not counted; it also warms the page cache), then the median of --runs reads.
 *
 *   node --import ./scripts/register.mjs bench/read-bench.ts [--ratings N] [--runs 3] [--keep] [--dir DIR]
 *
 * Targets: >= 50 MB/s, peak memory < 2x the packed arrays (1.06x measured at 100M ratings, bench/results/2026-12-03-read-100m).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ChildResult {
  ms: number;
  /** CPU time (user + system) of the read: less sensitive than wall time to other load on the machine. */
  cpuMs: number;
  bytes: number;
  ratings: number;
  users: number;
  items: number;
  packedBytes: number;
  baseRss: number;
  maxRss: number;
  detected: string;
}

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

async function child(path: string): Promise<void> {
  const { readRatingsFile } = await import('../src/data/node.ts');
  const baseRss = process.memoryUsage().rss;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ds = await readRatingsFile(path, { itemMeta: false });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const r = ds.ratings;
  const packedBytes = r.users.byteLength + r.items.byteLength + r.values.byteLength + (r.timestamps?.byteLength ?? 0);
  const out: ChildResult = {
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    bytes: ds.report.bytes,
    ratings: ds.report.ratings,
    users: r.nUsers,
    items: r.nItems,
    packedBytes,
    baseRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    detected: ds.report.detected,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function writeFile(path: string, nRatings: number): Promise<void> {
  const { generateSynthetic, presetOptions } = await import('../src/data/synthetic.ts');
  const t0 = performance.now();
  const opts = presetOptions('ml-25m', { seed: 25, timestamps: true, shuffle: false });
  const scale = nRatings / opts.nRatings;
  const ds = generateSynthetic({
    ...opts,
    nRatings,
    nUsers: Math.max(100, Math.round(opts.nUsers * Math.min(1, scale * 1.0))),
    nItems: Math.max(100, Math.round(opts.nItems * Math.min(1, Math.sqrt(scale)))),
    minUserDegree: nRatings < opts.nRatings ? 1 : opts.minUserDegree,
  });
  const t1 = performance.now();
  const r = ds.ratings;
  const fd = openSync(path, 'w');
  writeSync(fd, 'userId,movieId,rating,timestamp\n');
  // MovieLens-style IDs (1-based, items spread up to ~209k like ML-25M's movieIds) and one-decimal ratings.
  const itemId = new Int32Array(r.nItems);
  for (let i = 0; i < r.nItems; i++) itemId[i] = 1 + Math.floor((i * 209171) / r.nItems);
  // Formatted straight into bytes (string building would take minutes for 25M lines).
  const out = new Uint8Array(8 << 20);
  let o = 0;
  const digits = (x: number) => {
    const s0 = o;
    do {
      out[o++] = 48 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
    out.subarray(s0, o).reverse();
  };
  for (let k = 0; k < r.users.length; k++) {
    if (o > out.length - 64) {
      writeSync(fd, out, 0, o);
      o = 0;
    }
    digits(r.users[k] + 1);
    out[o++] = 44;
    digits(itemId[r.items[k]]);
    out[o++] = 44;
    const v2 = Math.round(r.values[k] * 2); // half stars: "4.0", "3.5"
    digits(v2 >> 1);
    out[o++] = 46;
    out[o++] = v2 & 1 ? 53 : 48;
    out[o++] = 44;
    digits(r.timestamps![k]);
    out[o++] = 10;
  }
  writeSync(fd, out, 0, o);
  closeSync(fd);
  console.log(`generated ${r.users.length.toLocaleString('en-US')} ratings in ${((t1 - t0) / 1000).toFixed(1)} s, wrote ${(statSync(path).size / 1e6).toFixed(1)} MB in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const nRatings = Number(arg('ratings', '25000095'));
  const runs = Number(arg('runs', '3'));
  const dir = process.argv.includes('--dir') ? arg('dir', '') : mkdtempSync(join(tmpdir(), 'webmf-read-bench-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'ratings.csv');
  console.log(`read-bench: node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, CPU only (no GPU involved)`);
  try {
    await writeFile(path, nRatings);
    const self = fileURLToPath(import.meta.url);
    const results: ChildResult[] = [];
    for (let i = 0; i <= runs; i++) {
      const out = execFileSync(process.execPath, ['--import', './scripts/register.mjs', self, '--child', path], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const res = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
      const tag = i === 0 ? 'warm-up' : `run ${i}`;
      console.log(
        `${tag.padEnd(8)} ${(res.ms / 1000).toFixed(2)} s  ${(res.bytes / 1e6 / (res.ms / 1000)).toFixed(1)} MB/s (CPU ${(res.cpuMs / 1000).toFixed(2)} s: ${(res.bytes / 1e6 / (res.cpuMs / 1000)).toFixed(1)} MB/s per CPU-second)  load ${loadavg()[0].toFixed(1)}  peak RSS ${(res.maxRss / 1e6).toFixed(0)} MB (${(res.maxRss / res.packedBytes).toFixed(2)}x packed; above start ${((res.maxRss - res.baseRss) / 1e6).toFixed(0)} MB = ${((res.maxRss - res.baseRss) / res.packedBytes).toFixed(2)}x)`,
      );
      if (i > 0) results.push(res);
    }
    const med = (f: (r: ChildResult) => number) => {
      const v = results.map(f).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)];
    };
    const r0 = results[0];
    const mbps = med((r) => r.bytes / 1e6 / (r.ms / 1000));
    const peak = med((r) => r.maxRss);
    const cpuRate = med((r) => r.bytes / 1e6 / (r.cpuMs / 1000));
    console.log(`file: ${(r0.bytes / 1e6).toFixed(1)} MB, ${r0.ratings.toLocaleString('en-US')} ratings, ${r0.users.toLocaleString('en-US')} users, ${r0.items.toLocaleString('en-US')} items (${r0.detected.split(' — ')[0]})`);
    console.log(`packed arrays: ${(r0.packedBytes / 1e6).toFixed(0)} MB (users i32 + items i32 + values f32 + timestamps f64)`);
    console.log(`median of ${results.length}: ${mbps.toFixed(1)} MB/s wall, ${cpuRate.toFixed(1)} MB/s per CPU-second (target >= 50: ${mbps >= 50 ? 'met' : 'NOT met'}), peak RSS ${(peak / 1e6).toFixed(0)} MB = ${(peak / r0.packedBytes).toFixed(2)}x packed (target < 2x: ${peak < 2 * r0.packedBytes ? 'met' : 'NOT met'})`);
  } finally {
    if (!process.argv.includes('--keep')) rmSync(dir.startsWith(tmpdir()) ? dir : path, { recursive: true, force: true });
    else console.log(`kept ${path}`);
  }
}

await main();
