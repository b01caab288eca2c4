/**
 * `npm start`: serves the demo with vite on 127.0.0.1 and offers the MovieLens files found in the
 * webmf cache (where `webmf data get` puts them; $XDG_CACHE_HOME/webmf or ~/.cache/webmf, or
 * --data DIR) at /webmf-data/, listed in /webmf-data/index.json for the page's Data tab.
 *
 * Usage: node --import ./scripts/register.mjs src/demo/serve.ts [--port 5173] [--data DIR]
 */
import { createReadStream, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
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

/** The real path of `path` when it lies inside the folder whose real path is `root`; null otherwise (or when absent). */
export function realInside(root: string, path: string): string | null {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return null;
  }
  const rel = relative(root, real);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? real : null;
}

/** Rating sets under `dir`: folders with a ratings file (and titles), and zip archives. Two levels deep, never through a symlink out of `dir`. */
export function findSets(dir: string, prefix = '/webmf-data'): ServedSet[] {
  const out: ServedSet[] = [];
  let realRoot: string;
  try {
    realRoot = realpathSync(dir);
  } catch {
    return out;
  }
  const ok = (p: string) => realInside(realRoot, p) !== null;
  const url = (p: string) => `${prefix}/${relative(dir, p).split(sep).map(encodeURIComponent).join('/')}`;
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    names = names.filter((n) => ok(join(d, n)));
    const r = RATINGS.find((n) => names.includes(n));
    if (r) {
      const m = MOVIES.find((n) => names.includes(n));
      out.push({ name: relative(dir, d) || 'data', ratings: url(join(d, r)), movies: m ? url(join(d, m)) : undefined, bytes: statSync(join(d, r)).size });
    }
    for (const n of names) {
      const p = join(d, n);
      if (n.endsWith('.zip') && /ml-|movielens/i.test(n)) out.push({ name: n.replace(/\.zip$/, ''), ratings: url(p), bytes: statSync(p).size });
      else if (depth < 2 && !n.startsWith('.') && statSafe(p)?.isDirectory()) walk(p, depth + 1);
    }
  };
  if (existsSync(dir)) walk(dir, 0);
  return out.sort((a, b) => a.bytes - b.bytes);
}

function statSafe(p: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

/**
 * Vite plugin: /webmf-data/index.json and the files it lists (read-only, inside `dir` only: real paths are compared,
 * so a symlink in the folder does not serve what lies outside it). A malformed URL is a 400, a failure a 500, both
 * with a one-line body and no stack or path.
 */
export function dataPlugin(dir: string): Plugin {
  const root = resolve(dir);
  return {
    name: 'webmf-demo-data',
    // Tells the page there is a data index to ask for (a static deployment has none, and no 404).
    transformIndexHtml: () => [{ tag: 'meta', attrs: { name: 'webmf-data', content: '/webmf-data/index.json' }, injectTo: 'head' }],
    configureServer(server) {
      server.middlewares.use('/webmf-data', (req: IncomingMessage, res: ServerResponse) => {
        const fail = (status: number, body: string) => {
          res.statusCode = status;
          res.setHeader('content-type', 'text/plain; charset=utf-8');
          res.end(body);
        };
        try {
          let path: string;
          try {
            path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
          } catch {
            return fail(400, 'bad request: malformed URL');
          }
          if (path.includes('\0')) return fail(400, 'bad request: malformed URL');
          if (path === '/index.json' || path === '/') {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify(findSets(root)));
            return;
          }
          const file = resolve(root, `.${path}`);
          let realRoot: string;
          try {
            realRoot = realpathSync(root);
          } catch {
            return fail(404, 'not found');
          }
          const real = file.startsWith(root + sep) ? realInside(realRoot, file) : null;
          const st = real ? statSafe(real) : null;
          if (!real || !st || !st.isFile()) return fail(404, 'not found');
          res.setHeader('content-length', String(st.size));
          res.setHeader('content-type', real.endsWith('.zip') ? 'application/zip' : 'text/plain; charset=utf-8');
          const stream = createReadStream(real);
          stream.on('error', () => res.destroy());
          stream.pipe(res);
        } catch {
          if (!res.headersSent) fail(500, 'internal error');
          else res.destroy();
        }
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

const USAGE = 'usage: serve.ts [--port N (0..65535, 0 = any free port; default 5173)] [--data DIR]';

/** The server's command line: --port N, --data DIR, --help; anything else, or a bad value, is an error. */
export function parseServeArgs(argv: string[]): { port: number; data?: string; help?: boolean } {
  const out: { port: number; data?: string; help?: boolean } = { port: 5173 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new Error(`${name} needs a value; ${USAGE}`);
      return v;
    };
    if (name === '--port') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(v)}`);
      out.port = Number(v);
    } else if (name === '--data') out.data = value();
    else if (name === '--help' || name === '-h') out.help = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}; ${USAGE}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseServeArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return;
  }
  await startDemoServer({ port: args.port, data: args.data });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`webmf demo: ${(e as Error).message}`);
    process.exit(1);
  });
}
