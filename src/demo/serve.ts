/**
 * `npm start`: serves the demo with vite on 127.0.0.1 and offers the MovieLens files found in the
 * webmf cache (where `webmf data get` puts them; $XDG_CACHE_HOME/webmf or ~/.cache/webmf, or
 * --data DIR) at /webmf-data/, listed in /webmf-data/index.json for the page's Data tab.
 *
 * Usage: node --import ./scripts/register.mjs src/demo/serve.ts [--port 5173] [--data DIR]
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Plugin } from 'vite';
import { defaultCacheDir } from '../data/movielens.ts';

const RATINGS = ['ratings.csv', 'ratings.dat', 'u.data'];
const MOVIES = ['movies.csv', 'movies.dat', 'u.item'];

export interface ServedSet {
  name: string;
  ratings: string;
  movies?: string;
  bytes: number;
}

/** Rating sets under `dir`: folders with a ratings file (and titles), and zip archives. Two levels deep. */
export function findSets(dir: string, prefix = '/webmf-data'): ServedSet[] {
  const out: ServedSet[] = [];
  const url = (p: string) => `${prefix}/${relative(dir, p).split(sep).map(encodeURIComponent).join('/')}`;
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    const r = RATINGS.find((n) => names.includes(n));
    if (r) {
      const m = MOVIES.find((n) => names.includes(n));
      out.push({ name: relative(dir, d) || 'data', ratings: url(join(d, r)), movies: m ? url(join(d, m)) : undefined, bytes: statSync(join(d, r)).size });
    }
    for (const n of names) {
      const p = join(d, n);
      if (n.endsWith('.zip') && /ml-|movielens/i.test(n)) out.push({ name: n.replace(/\.zip$/, ''), ratings: url(p), bytes: statSync(p).size });
      else if (depth < 2 && !n.startsWith('.') && statSync(p).isDirectory()) walk(p, depth + 1);
    }
  };
  if (existsSync(dir)) walk(dir, 0);
  return out.sort((a, b) => a.bytes - b.bytes);
}

/** Vite plugin: /webmf-data/index.json and the files it lists (read-only, inside `dir` only). */
export function dataPlugin(dir: string): Plugin {
  const root = resolve(dir);
  return {
    name: 'webmf-demo-data',
    // Tells the page there is a data index to ask for (a static deployment has none, and no 404).
    transformIndexHtml: () => [{ tag: 'meta', attrs: { name: 'webmf-data', content: '/webmf-data/index.json' }, injectTo: 'head' }],
    configureServer(server) {
      server.middlewares.use('/webmf-data', (req: IncomingMessage, res: ServerResponse) => {
        const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
        if (path === '/index.json' || path === '/') {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(findSets(root)));
          return;
        }
        const file = resolve(root, `.${path}`);
        if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          res.end('not found');
          return;
        }
        res.setHeader('content-length', String(statSync(file).size));
        res.setHeader('content-type', file.endsWith('.zip') ? 'application/zip' : 'text/plain; charset=utf-8');
        createReadStream(file).pipe(res);
      });
    },
  };
}

/** Starts the demo server (vite, 127.0.0.1); `port` 0 picks a free one. Returns its URL and a way to close it. */
export async function startDemoServer(opts: { port?: number; data?: string; log?: (s: string) => void } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const port = opts.port ?? 5173;
  const data = opts.data ?? defaultCacheDir();
  const log = opts.log ?? ((s: string) => console.log(s));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, so the f32 CPU engine runs on worker threads.
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  const server = await createServer({ root, plugins: [dataPlugin(data)], server: { host: '127.0.0.1', port, strictPort: false, headers } });
  await server.listen();
  const addr = server.httpServer?.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}/`;
  const sets = findSets(data);
  log(`webmf demo: ${url}`);
  log(sets.length ? `MovieLens files offered from ${data}: ${sets.map((s) => s.name).join(', ')}` : `no MovieLens files in ${data} (get some with: webmf data get ml-latest-small, or --offline)`);
  return { url, close: () => server.close() };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  await startDemoServer({ port: Number(opt('--port') ?? 5173), data: opt('--data') });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`webmf demo: ${(e as Error).message}`);
    process.exit(1);
  });
}
