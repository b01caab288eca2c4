/**
 * Finds a Chrome or Chromium for the browser tests, in this order: PUPPETEER_EXECUTABLE_PATH,
 * puppeteer's own download, /usr/bin/chromium, google-chrome. Where there is none and we run as
 * root on Debian or Ubuntu, installs Debian's `chromium` with apt-get (and says so). Elsewhere it
 * fails with a message naming what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const CHROME_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : null;
}

async function puppeteerOwn(): Promise<string | null> {
  try {
    const { default: puppeteer } = await import('puppeteer');
    const p = puppeteer.executablePath();
    return p && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

export async function locateChrome(): Promise<string | null> {
  const env = process.env.PUPPETEER_EXECUTABLE_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`PUPPETEER_EXECUTABLE_PATH=${env} does not exist`);
    return env;
  }
  return (await puppeteerOwn()) ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null) ?? which('google-chrome') ?? which('google-chrome-stable');
}

function isDebianLike(): boolean {
  try {
    const os = readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(os);
  } catch {
    return false;
  }
}

/** Returns a Chrome path, installing Debian's chromium when allowed. */
export async function ensureChrome(log: (s: string) => void = console.log): Promise<string> {
  const found = await locateChrome();
  if (found) return found;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && isDebianLike() && which('apt-get')) {
    log('webmf tests: no Chrome/Chromium found; installing Debian\'s `chromium` package with apt-get (it also provides the SwiftShader software GPU)...');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (existsSync('/usr/bin/chromium')) {
      log('webmf tests: installed /usr/bin/chromium');
      return '/usr/bin/chromium';
    }
  }
  throw new Error(
    'No Chrome or Chromium found for the browser tests. Install one (Debian/Ubuntu: `sudo apt-get install chromium`; ' +
      'elsewhere Google Chrome), or set PUPPETEER_EXECUTABLE_PATH to its executable.',
  );
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

async function serveVite(root: string, plugins?: import('vite').PluginOption[]): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer } = await import('vite');
  const server = await createServer({ root, logLevel: 'error', plugins, server: { host: '127.0.0.1', port: 0, strictPort: false } });
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
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
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
