/**
 * Chrome/Chromium on this machine, for the browser tests (test/browser/chrome.ts) and for `npm start`
 * (src/cli/start.ts), whose GPU engine needs the SwiftShader software GPU that Chromium ships where a
 * machine has no GPU driver. Where there is none and we run as root on Debian or Ubuntu, Debian's
 * `chromium` package is installed with apt-get (and the caller says so); elsewhere the message names
 * what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = (r.stdout ?? '').trim();
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

/** PUPPETEER_EXECUTABLE_PATH, puppeteer's own download, /usr/bin/chromium, google-chrome; null when none. */
export async function locateChrome(): Promise<string | null> {
  const env = process.env.PUPPETEER_EXECUTABLE_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`PUPPETEER_EXECUTABLE_PATH=${env} does not exist`);
    return env;
  }
  return (await puppeteerOwn()) ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null) ?? which('google-chrome') ?? which('google-chrome-stable');
}

export function isDebianLike(osRelease?: string): boolean {
  try {
    const os = osRelease ?? readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(os);
  } catch {
    return false;
  }
}

/** Whether this process may install Debian's chromium itself: root, Debian/Ubuntu, apt-get present. */
export function canAptInstall(): boolean {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root && isDebianLike() && !!which('apt-get');
}

export const INSTALL_ADVICE = 'Debian/Ubuntu: `sudo apt-get install chromium`; elsewhere Google Chrome or Chromium';

/** Installs Debian's `chromium` package with apt-get (root only); returns /usr/bin/chromium or null. */
export function aptInstallChromium(log: (s: string) => void, who = 'webmf'): string | null {
  log(`${who}: installing Debian's \`chromium\` package with apt-get (it also provides the SwiftShader software GPU)...`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (!existsSync('/usr/bin/chromium')) return null;
  log(`${who}: installed /usr/bin/chromium`);
  return '/usr/bin/chromium';
}

/** Returns a Chrome path, installing Debian's chromium when allowed. */
export async function ensureChrome(log: (s: string) => void = console.log, who = 'webmf tests'): Promise<string> {
  const found = await locateChrome();
  if (found) return found;
  if (canAptInstall()) {
    log(`${who}: no Chrome/Chromium found`);
    const p = aptInstallChromium(log, who);
    if (p) return p;
  }
  throw new Error(`No Chrome or Chromium found. Install one (${INSTALL_ADVICE}), or set PUPPETEER_EXECUTABLE_PATH to its executable.`);
}

/**
 * `npm start`'s GPU: what to do before asking for an adapter, from the discovery plan
 * (src/gpu/discover.ts). 'ready': a driver or SwiftShader is there; 'install': no GPU and no
 * SwiftShader, but we may apt-get chromium; 'advise': neither, so say what to install and use the CPU.
 */
export function softwareGpuAction(planKind: string, platform: string, mayInstall: boolean): 'ready' | 'install' | 'advise' {
  if (planKind !== 'none' || platform !== 'linux') return 'ready';
  return mayInstall ? 'install' : 'advise';
}
