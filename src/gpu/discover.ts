/**
 * Where Node's Dawn (the `webgpu` package) finds a Vulkan adapter on Linux, decided before the first
 * adapter request and in this order:
 *  1. a hardware Vulkan driver registered with the system loader (an ICD manifest in the standard
 *     directories; Mesa's lavapipe and SwiftShader do not count): nothing to do;
 *  2. otherwise SwiftShader, the software Vulkan that Chrome and Chromium ship beside their
 *     executable (Debian/Ubuntu chromium, Google Chrome, puppeteer's download);
 *  3. otherwise nothing, and the caller says what to install.
 * Other platforms (macOS Metal, Windows D3D12) need none of this.
 *
 * The Vulkan loader has no API for naming a driver, only the VK_ICD_FILENAMES / VK_DRIVER_FILES
 * environment variables, read when an instance enumerates its drivers. So `withSoftwareGpu` sets
 * VK_ICD_FILENAMES for the duration of one synchronous call (Dawn enumerates adapters inside the first
 * `requestAdapter()` call, before it returns its promise) and restores the previous value in
 * `finally`: the caller's `process.env` is the same before and after. Where the system has no
 * libvulkan.so.1 at all, the loader that ships beside SwiftShader is loaded once by absolute path
 * (never unloaded), so Dawn's own dlopen("libvulkan.so.1") finds it by its soname; LD_LIBRARY_PATH,
 * which glibc reads only at start-up, is not touched.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d'];
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/local/lib'];
/** Directories where a Chrome or Chromium install keeps vk_swiftshader_icd.json. */
const CHROME_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium-browser', '/opt/google/chrome', '/opt/google/chrome-beta', '/opt/chromium.org/chromium'];
const SOFTWARE_ICD = /lvp|lavapipe|swiftshader/i;

/** How Dawn will find its adapter, decided by `planNodeGpu`. */
export interface GpuPlan {
  /** 'system': a hardware driver or an explicit VK_ICD_FILENAMES; 'swiftshader': the software fallback; 'none': nothing usable found. */
  kind: 'system' | 'swiftshader' | 'none' | 'not-linux';
  /** The SwiftShader ICD manifest to use (kind 'swiftshader'). */
  icd?: string;
  /** A Vulkan loader to preload by absolute path, when the system has none. */
  loader?: string;
  /** One line for the user: which adapter source and why. */
  note: string;
}

/** A hardware Vulkan driver is registered with the system loader. */
export function hasHardwareVulkan(): boolean {
  for (const dir of ICD_DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    if (names.some((n) => n.endsWith('.json') && !SOFTWARE_ICD.test(n))) return true;
  }
  return false;
}

export function hasSystemVulkanLoader(): boolean {
  return LIB_DIRS.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

/** puppeteer's downloaded Chrome builds (~/.cache/puppeteer/chrome/linux-VERSION/chrome-linux64). */
function puppeteerChromeDirs(env: NodeJS.ProcessEnv): string[] {
  const base = env.PUPPETEER_CACHE_DIR ?? join(homedir(), '.cache', 'puppeteer');
  const out: string[] = [];
  for (const kind of ['chrome', 'chrome-headless-shell']) {
    let versions: string[] = [];
    try {
      versions = readdirSync(join(base, kind)).sort().reverse();
    } catch {
      continue;
    }
    for (const v of versions) for (const sub of ['chrome-linux64', 'chrome-headless-shell-linux64']) out.push(join(base, kind, v, sub));
  }
  return out;
}

/** The first Chrome/Chromium directory holding SwiftShader's ICD manifest, or null. */
export function findSwiftShader(env: NodeJS.ProcessEnv = process.env): { dir: string; icd: string } | null {
  for (const dir of [...CHROME_DIRS, ...puppeteerChromeDirs(env)]) {
    const icd = join(dir, 'vk_swiftshader_icd.json');
    if (existsSync(icd) && existsSync(join(dir, 'libvk_swiftshader.so'))) return { dir, icd };
  }
  return null;
}

/** Decides where Dawn finds its adapter. Reads the file system and `env`; changes nothing. */
export function planNodeGpu(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): GpuPlan {
  if (platform !== 'linux') return { kind: 'not-linux', note: `the platform's own WebGPU backend (${platform})` };
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) {
    return { kind: 'system', note: `the Vulkan driver named by ${env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : 'VK_DRIVER_FILES'}` };
  }
  if (hasSystemVulkanLoader() && hasHardwareVulkan()) return { kind: 'system', note: 'a hardware Vulkan driver' };
  return softwarePlan(env) ?? { kind: 'none', note: hasSystemVulkanLoader() ? 'no Vulkan driver and no SwiftShader found' : 'no Vulkan loader (libvulkan.so.1) and no SwiftShader found' };
}

/** The SwiftShader plan when an installed Chrome/Chromium provides it (and a loader exists for it), else null. */
export function softwarePlan(env: NodeJS.ProcessEnv = process.env): GpuPlan | null {
  if (env.WEBMF_NO_SWIFTSHADER) return null;
  const ss = findSwiftShader(env);
  if (!ss) return null;
  const sys = hasSystemVulkanLoader();
  const loader = sys ? undefined : existsSync(join(ss.dir, 'libvulkan.so.1')) ? join(ss.dir, 'libvulkan.so.1') : undefined;
  if (!sys && !loader) return null;
  return { kind: 'swiftshader', icd: ss.icd, loader, note: `SwiftShader (software Vulkan) from ${ss.dir}` };
}

/** What to install where no adapter was found (Linux without GPU driver and without Chrome). */
export const NO_GPU_ADVICE =
  "On Linux without a GPU driver, install Chromium or Chrome, which ship the SwiftShader software GPU (Debian/Ubuntu: `sudo apt-get install chromium`), " +
  'or a Vulkan driver for your GPU (with libvulkan1); or use the CPU backend.';

const loaded = new Set<string>();
/** Loads a Vulkan loader library by absolute path and keeps it loaded (RTLD_NOW | RTLD_NODELETE). */
export function preloadLibrary(path: string): void {
  if (loaded.has(path)) return;
  const RTLD_NOW = 2;
  const RTLD_NODELETE = 0x1000; // glibc's value; Node's os.constants.dlopen does not list it
  try {
    // process.dlopen maps the library, then complains that it is not a Node addon; with RTLD_NODELETE
    // the library stays mapped and answers to its soname, which is all that is wanted here.
    process.dlopen({ exports: {} } as NodeJS.Module, path, RTLD_NOW | RTLD_NODELETE);
  } catch (e) {
    if (!/did not self-register|Module did not/i.test((e as Error).message)) throw e;
  }
  loaded.add(path);
}

/**
 * Runs `fn` (synchronously) with VK_ICD_FILENAMES pointing at the plan's SwiftShader manifest, then
 * restores the variable to what it was. Without a SwiftShader plan it just runs `fn`.
 */
export function withSoftwareGpu<T>(plan: GpuPlan, fn: () => T): T {
  if (plan.kind !== 'swiftshader' || !plan.icd) return fn();
  if (plan.loader) preloadLibrary(plan.loader);
  const had = Object.prototype.hasOwnProperty.call(process.env, 'VK_ICD_FILENAMES');
  const before = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = plan.icd;
  try {
    return fn();
  } finally {
    if (had) process.env.VK_ICD_FILENAMES = before;
    else delete process.env.VK_ICD_FILENAMES;
  }
}

/**
 * Environment for a child process (Deno, a browser) that should see the same software GPU:
 * VK_ICD_FILENAMES and, without a system loader, LD_LIBRARY_PATH. {} when nothing is needed.
 */
export function softwareGpuEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const plan = planNodeGpu(env);
  if (plan.kind !== 'swiftshader' || !plan.icd) return {};
  const add: Record<string, string> = { VK_ICD_FILENAMES: plan.icd };
  if (plan.loader) {
    const dir = plan.loader.slice(0, plan.loader.lastIndexOf('/'));
    const cur = env.LD_LIBRARY_PATH ?? '';
    if (!cur.split(':').includes(dir)) add.LD_LIBRARY_PATH = cur ? `${dir}:${cur}` : dir;
  }
  return add;
}
