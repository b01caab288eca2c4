// Where a machine has no hardware GPU, Dawn (the `webgpu` package) can still run on SwiftShader,
// the software Vulkan that Debian's chromium ships. This computes the environment that makes that
// work, and changes nothing where a real Vulkan driver is installed.
import { existsSync, readdirSync } from 'node:fs';

const SWIFTSHADER_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu'];

/** A hardware Vulkan driver is registered (lavapipe, which Dawn rejects, does not count). */
export function hasHardwareVulkan() {
  for (const dir of ICD_DIRS) {
    let names = [];
    try { names = readdirSync(dir); } catch { continue; }
    if (names.some((n) => n.endsWith('.json') && !/lvp|lavapipe|swiftshader/i.test(n))) return true;
  }
  return false;
}

export function hasSystemVulkanLoader() {
  return LIB_DIRS.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

/** Environment variables to add so Dawn finds a Vulkan adapter on Linux; {} when nothing is needed. */
export function softwareGpuEnv(env = process.env) {
  if (process.platform !== 'linux' || env.WEBMF_NO_SWIFTSHADER) return {};
  const add = {};
  if (!env.VK_ICD_FILENAMES && !hasHardwareVulkan() && existsSync(SWIFTSHADER_ICD)) {
    add.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  if (!hasSystemVulkanLoader() && existsSync(`${SWIFTSHADER_DIR}/libvulkan.so.1`)) {
    const cur = env.LD_LIBRARY_PATH ?? '';
    if (!cur.split(':').includes(SWIFTSHADER_DIR)) add.LD_LIBRARY_PATH = cur ? `${SWIFTSHADER_DIR}:${cur}` : SWIFTSHADER_DIR;
  }
  return add;
}
