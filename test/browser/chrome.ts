/**
 * Chrome for the browser tests: finding it (and installing Debian's chromium as root) lives in
 * src/cli/chromium.ts, shared with `npm start`; this file adds the served-page launcher.
 */
import { ensureChrome as ensure } from '../../src/cli/chromium.ts';
export { locateChrome } from '../../src/cli/chromium.ts';

export const CHROME_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Returns a Chrome path, installing Debian's chromium when allowed (see src/cli/chromium.ts). */
export function ensureChrome(log: (s: string) => void = console.log): Promise<string> {
  return ensure(log, 'webmf tests');
}

/**
 * Serves `root` with vite on 127.0.0.1 (a free port) and launches headless Chrome with WebGPU on:
 * the set-up every in-page run shares (test suite, benchmarks). Page errors and console errors are
 * forwarded to stderr. `close()` closes both.
 */
export async function openServedBrowser(opts: {
  root: string;
  plugins?: import('vite').PluginOption[];
  args?: string[];
  protocolTimeout?: number;
  /** 'static': plain files as they are (no transforms), for built apps and pages without a bundler. Default 'vite'. */
  serve?: 'vite' | 'static';
}): Promise<{ port: number; browser: import('puppeteer').Browser; newPage(): Promise<import('puppeteer').Page>; close(): Promise<void> }> {
  const executablePath = await ensureChrome();
  const { default: puppeteer } = await import('puppeteer');
  const server = opts.serve === 'static' ? await serveStatic(opts.root) : await serveVite(opts.root, opts.plugins);
  const port = server.port;
  let browser: import('puppeteer').Browser;
  try {
    browser = await puppeteer.launch({ executablePath, headless: true, args: [...CHROME_ARGS, ...(opts.args ?? [])], protocolTimeout: opts.protocolTimeout });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    port,
    browser,
    async newPage() {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error(`[chrome] page error: ${(e as Error).message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') console.error(`[chrome] console error: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Cross-origin isolated (COOP + COEP), so pages get SharedArrayBuffer and the f32 CPU engine runs in workers. */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

async function serveVite(root: string, plugins?: import('vite').PluginOption[]): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer } = await import('vite');
  const server = await createServer({ root, logLevel: 'error', plugins, server: { host: '127.0.0.1', port: 0, strictPort: false, headers: ISOLATION } });
  await server.listen();
  const addr = server.httpServer?.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, close: () => server.close() };
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** The files under `root` as they are, on 127.0.0.1 (GET/HEAD only; no path leaves `root`). */
async function serveStatic(root: string): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const { resolve, extname, sep } = await import('node:path');
  const { readFile, stat } = await import('node:fs/promises');
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let file = resolve(base, `.${decodeURIComponent(url.pathname)}`);
      if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside root'), { code: 'EACCES' });
      if ((await stat(file)).isDirectory()) file = resolve(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...ISOLATION });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      res.writeHead(code === 'ENOENT' || code === 'ENOTDIR' ? 404 : 403).end();
    }
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => ok()));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, close: () => new Promise((ok) => server.close(() => ok())) };
}
