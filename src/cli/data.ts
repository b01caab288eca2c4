/**
 * `webmf data ...`: getting data sets.
 *
 *   webmf data get <name> [--offline] [--cache DIR] [--force] [--no-read]
 *   webmf data list
 *
 * Prints each step it takes and, unless --no-read, reads the result back and prints its size (and titles found).
 * Errors are one line on stderr; the exit code is 1 for bad data/network, 2 for bad usage.
 */
import { WebmfError } from '../core/errors.ts';
import { DATA_NAMES, MOVIELENS, OFFLINE_NAME, dataGet, defaultCacheDir } from '../data/movielens.ts';
import { readRatingsFile } from '../data/node.ts';
import { layoutOptions, withCliAdvice } from './columns.ts';

const USAGE = `usage: webmf data get <name> [--offline] [--cache DIR] [--force] [--no-read] [--columns U,I,R[,T]] [--delimiter D] [--no-header]
       webmf data list
names: ${DATA_NAMES.join(', ')}`;

export async function runDataCommand(argv: string[], out: (s: string) => void = (s) => console.log(s), err: (s: string) => void = (s) => console.error(s)): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    out(USAGE);
    return sub ? 0 : 2;
  }
  if (sub === 'list') {
    for (const e of Object.values(MOVIELENS)) out(`${e.name.padEnd(16)} ${e.about} — ${e.url}`);
    out(`${OFFLINE_NAME.padEnd(16)} MovieLens latest-small 2016 snapshot, 100,004 ratings with titles — offline, from Debian's r-cran-dslabs`);
    out(`cache: ${defaultCacheDir()}`);
    return 0;
  }
  if (sub !== 'get') {
    err(`webmf data: unknown command ${JSON.stringify(sub)}\n${USAGE}`);
    return 2;
  }
  let name: string | undefined;
  let offline = false;
  let force = false;
  let read = true;
  let cacheDir: string | undefined;
  const layoutArgs: Record<string, string | boolean> = {}; // how the read-back parses the file (src/cli/columns.ts)
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const lk = /^--(columns|delimiter)(=.*)?$/.exec(a);
    if (lk) {
      const v = lk[2] !== undefined ? lk[2].slice(1) : rest[++i];
      if (v === undefined) {
        err(`webmf data get: --${lk[1]} needs a value`);
        return 2;
      }
      layoutArgs[lk[1]] = v;
    } else if (a === '--no-header') layoutArgs['no-header'] = true;
    else if (a === '--offline') offline = true;
    else if (a === '--force') force = true;
    else if (a === '--no-read') read = false;
    else if (a === '--cache' || a.startsWith('--cache=')) {
      cacheDir = a.includes('=') ? a.slice(a.indexOf('=') + 1) : rest[++i];
      if (!cacheDir) {
        err('webmf data get: --cache needs a folder');
        return 2;
      }
    } else if (a.startsWith('-')) {
      err(`webmf data get: unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (!name) name = a;
    else {
      err(`webmf data get: unexpected argument ${JSON.stringify(a)}`);
      return 2;
    }
  }
  if (!name) {
    err(`webmf data get: which data set?\n${USAGE}`);
    return 2;
  }
  let layout;
  try {
    layout = layoutOptions(layoutArgs, 'data get');
  } catch (e) {
    err(`webmf ${(e as Error).message}`);
    return 2;
  }
  try {
    let lastPct = -1;
    const res = await dataGet(name, {
      offline,
      force,
      cacheDir,
      log: (s) => out(s),
      onProgress: (p) => {
        if (!p.totalBytes || !p.bytes) return;
        const pct = Math.floor((100 * p.bytes) / p.totalBytes);
        if (pct >= lastPct + 10) {
          lastPct = pct;
          out(`  ${pct}% of ${(p.totalBytes / 1e6).toFixed(1)} MB`);
        }
      },
    });
    out(`${res.name}: ${res.path} (${res.source})`);
    if (read) {
      const ds = await readRatingsFile(res.path, layout.format ? { ...layout, format: layout.format } : {});
      const r = ds.report;
      const titled = ds.items_meta ? ds.items_meta.titles.filter((t) => t !== '').length : 0;
      out(
        `read ${r.ratings.toLocaleString('en-US')} ratings, ${ds.ratings.nUsers.toLocaleString('en-US')} users, ${ds.ratings.nItems.toLocaleString('en-US')} items` +
          (ds.scale ? `, scale [${ds.scale[0]}, ${ds.scale[1]}]` : '') +
          (ds.items_meta ? `, titles for ${titled.toLocaleString('en-US')} items` : ', no titles') +
          ` (${r.detected.split(' — ')[0]})`,
      );
    }
    return 0;
  } catch (e) {
    withCliAdvice(e);
    const msg = e instanceof Error ? e.message : String(e);
    err(`webmf data get ${name}: ${e instanceof WebmfError ? '' : 'error: '}${msg.replace(/\s*\n\s*/g, ' ')}`);
    return 1;
  }
}
