/**
 * Factor matrices larger than one storage binding. A factor matrix stays one buffer (up to
 * maxBufferSize: copies, read-backs and the last-good copy are unchanged), bound as *windows*: runs
 * of whole rows, each within min(maxStorageBufferBindingSize, maxBufferSize) and starting at a
 * multiple of minStorageBufferOffsetAlignment. Below the binding limit there is one window, the
 * whole matrix, and every kernel's code is what it was.
 *
 * Two ways a kernel sees the windows:
 *  - written (or row-local) side: one dispatch per window, the window bound as the array and the
 *    rows addressed relative to its first row (ALS solve batches never span two windows);
 *  - gathered side (rows at random, e.g. the items of a user's ratings): a fixed set of at most
 *    MAX_FACTOR_WINDOWS bindings, NAME (window 0), NAME_1, NAME_2, NAME_3, and an accessor
 *    `NAME_at(i)` (and `NAME_put(i, v)` for read_write arrays) that picks the window of element i.
 *    withWindows() writes the extra declarations and the accessors into the kernel's WGSL.
 */
import type { GpuContext } from '../gpu/context.ts';
import { LimitError } from '../core/errors.ts';

/** Most windows a gathered factor matrix may be bound in (each one more storage binding). */
export const MAX_FACTOR_WINDOWS = 4;
/**
 * A window holds a multiple of this many rows when that many fit one binding: the Gram kernel's
 * rows per partial (shaders/gram.wgsl CH), so its per-window partials are the one-binding ones.
 */
export const FACTOR_ROW_BLOCK = 1024;
/** NAME_k (k >= 1) take binding numbers from here up (window 0 keeps the kernel's own binding). */
const FIRST_EXTRA = 20;

export interface FactorWindows {
  /** Rows of the matrix. */
  nRows: number;
  /** Floats per row. */
  stride: number;
  /** Rows per window (the last one may hold fewer). */
  rowsPer: number;
  /** Number of windows (at least 1). */
  count: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The windows of an nRows x stride f32 matrix on this device. Throws a LimitError when the matrix
 * is over maxBufferSize (one buffer) or needs more than `maxWindows` windows.
 */
export function factorWindows(gpu: GpuContext, nRows: number, stride: number, what = 'factor matrix', maxWindows = MAX_FACTOR_WINDOWS): FactorWindows {
  const rowBytes = stride * 4;
  const bytes = nRows * rowBytes;
  if (bytes > gpu.limits.maxBufferSize) {
    throw new LimitError(`${what} (${nRows} rows x ${stride} floats) must be one buffer`, 'maxBufferSize', bytes, gpu.limits.maxBufferSize);
  }
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  // rows per window: whole rows, a multiple of `step` so every window starts on an aligned offset
  const step = align / gcd(rowBytes, align);
  const fit = Math.floor(gpu.maxStorageBytes / rowBytes);
  // (step divides 256, so a multiple of FACTOR_ROW_BLOCK is also one of step)
  const block = fit >= FACTOR_ROW_BLOCK ? FACTOR_ROW_BLOCK : step;
  const rowsPer = nRows <= fit ? Math.max(1, nRows) : Math.floor(fit / block) * block;
  if (rowsPer === 0 || rowsPer * rowBytes > gpu.maxStorageBytes) {
    throw new LimitError(`${what}: one row of ${rowBytes} bytes cannot be bound`, 'maxStorageBufferBindingSize', rowBytes * step, gpu.maxStorageBytes);
  }
  const count = Math.max(1, Math.ceil(nRows / rowsPer));
  if (count > maxWindows) {
    throw new LimitError(`${what} (${nRows} rows x ${stride} floats, ${bytes} bytes) needs ${count} bindings of ${rowsPer} rows; the kernels bind at most ${maxWindows}`, 'maxStorageBufferBindingSize', Math.ceil(bytes / maxWindows), gpu.maxStorageBytes);
  }
  return { nRows, stride, rowsPer, count };
}

/** The window holding `row`. */
export const windowOf = (fw: FactorWindows, row: number): number => Math.min(fw.count - 1, Math.floor(row / fw.rowsPer));

/** First row and row count of window k. */
export function windowRows(fw: FactorWindows, k: number): { row0: number; rows: number } {
  const row0 = k * fw.rowsPer;
  return { row0, rows: Math.max(0, Math.min(fw.rowsPer, fw.nRows - row0)) };
}

/** Window k of `buffer` as a binding (a whole buffer when there is one window). */
export function windowBinding(buffer: GPUBuffer, fw: FactorWindows, k: number): GPUBuffer | GPUBufferBinding {
  if (fw.count === 1) return buffer;
  const { row0, rows } = windowRows(fw, k);
  return { buffer, offset: row0 * fw.stride * 4, size: Math.max(1, rows) * fw.stride * 4 };
}

/** The bindings of a gathered matrix: { NAME: window 0, NAME_1: window 1, ... }. */
export function gatherBindings(name: string, buffer: GPUBuffer, fw: FactorWindows): Record<string, GPUBuffer | GPUBufferBinding> {
  const out: Record<string, GPUBuffer | GPUBufferBinding> = { [name]: windowBinding(buffer, fw, 0) };
  for (let k = 1; k < fw.count; k++) out[`${name}_${k}`] = windowBinding(buffer, fw, k);
  return out;
}

/** Binding number of NAME_k (k >= 1); bind groups look it up by name in the final code. */
function extraBinding(code: string, k: number): number {
  const used = new Set([...code.matchAll(/@binding\((\d+)\)/g)].map((m) => Number(m[1])));
  // the first run of MAX_FACTOR_WINDOWS - 1 free numbers from FIRST_EXTRA (a second windowed array
  // of the same kernel, declared after the first one's windows, takes the next run)
  let b = FIRST_EXTRA;
  for (;;) {
    let free = true;
    for (let j = 0; j < MAX_FACTOR_WINDOWS - 1; j++) if (used.has(b + j)) free = false;
    if (free) break;
    b += MAX_FACTOR_WINDOWS - 1;
  }
  return b + k - 1;
}

/**
 * The WGSL of `code` with the storage array `name` readable (and, for read_write, writable) through
 * `name_at(i)` / `name_put(i, v)`, where i is an element index into the whole matrix, over fw's
 * windows. The declaration of `name` must be one line `@group(0) @binding(N) var<storage, ACCESS> name: array<T>;`;
 * the extra windows are declared after it. One window: the accessors index `name` directly.
 */
export function withWindows(code: string, name: string, fw: FactorWindows, floatsPerElement?: number): string {
  const re = new RegExp(`^(@group\\(0\\) @binding\\((\\d+)\\) var<storage, (read|read_write)> ${name}: array<([^;]+)>;)[^\\n]*$`, 'm');
  const m = re.exec(code);
  if (!m) throw new Error(`withWindows: no one-line storage array '${name}' in the shader`);
  const [line, decl, , access, type] = m;
  const floats = floatsPerElement ?? (type === 'f32' ? 1 : Number(/^vec(\d)</.exec(type)?.[1] ?? NaN));
  if (!(floats >= 1)) throw new Error(`withWindows: '${name}' holds ${type}, not f32 or vecN<f32>`);
  const per = (fw.rowsPer * fw.stride) / floats;
  if (fw.count > 1 && !Number.isInteger(per)) throw new Error(`withWindows: a window of ${fw.rowsPer} rows x ${fw.stride} floats is not whole ${type}s`);
  const extra: string[] = [];
  const names = [name];
  for (let k = 1; k < fw.count; k++) {
    const b = extraBinding(code, k);
    extra.push(`@group(0) @binding(${b}) var<storage, ${access}> ${name}_${k}: array<${type}>;`);
    names.push(`${name}_${k}`);
  }
  const pick = (body: (arr: string, j: string) => string): string => {
    if (fw.count === 1) return body(name, 'i');
    const out: string[] = [];
    for (let k = 0; k < fw.count - 1; k++) out.push(`if (i < ${(k + 1) * per}u) { ${body(names[k], k === 0 ? 'i' : `i - ${k * per}u`)} }`);
    out.push(`{ ${body(names[fw.count - 1], `i - ${(fw.count - 1) * per}u`)} }`);
    return out.join(' else ');
  };
  const fns = [`fn ${name}_at(i: u32) -> ${type} { ${pick((a, j) => `return ${a}[${j}];`)} }`];
  if (access === 'read_write') fns.push(`fn ${name}_put(i: u32, v: ${type}) { ${pick((a, j) => `${a}[${j}] = v;`)} }`);
  return code.replace(line, [decl, ...extra, ...fns].join('\n'));
}

/** Storage buffers `code` declares (a kernel must stay within maxStorageBuffersPerShaderStage). */
export const storageBindings = (code: string): number => (code.match(/var<storage/g) ?? []).length;

/**
 * A LimitError when `code` declares extra window bindings and more storage buffers than a shader
 * stage may bind. (Counts the module's declarations, an upper bound on what one entry point uses;
 * without windows the module is the one every device ran before, so it is not checked.)
 */
export function requireStorageBindings(gpu: GpuContext, what: string, code: string): void {
  if (!/var<storage, [a-z_]+> \w+_1:/.test(code)) return;
  gpu.requireLimit(`${what}: storage buffers of one kernel`, 'maxStorageBuffersPerShaderStage', storageBindings(code));
}

/** The windows of a factor-matrix buffer of rows of `stride` floats (its rows: size / (4 stride)). */
export function bufferWindows(gpu: GpuContext, buffer: GPUBuffer, stride: number, what = 'factor matrix'): FactorWindows {
  return factorWindows(gpu, Math.floor(buffer.size / (stride * 4)), stride, what);
}

/**
 * A kernel whose arrays `arrays` (by name) are factor matrices of rows of `stride` floats: its code
 * with each one read through its windows (withWindows), and their bindings by name.
 */
export function windowedKernel(gpu: GpuContext, what: string, code: string, stride: number, arrays: Record<string, GPUBuffer>): { code: string; bindings: Record<string, GPUBuffer | GPUBufferBinding> } {
  let out = code;
  const bindings: Record<string, GPUBuffer | GPUBufferBinding> = {};
  for (const [name, buffer] of Object.entries(arrays)) {
    const fw = bufferWindows(gpu, buffer, stride, `${what}: ${name}`);
    out = withWindows(out, name, fw);
    Object.assign(bindings, gatherBindings(name, buffer, fw));
  }
  // (no module-wide binding count here: such modules have entry points that bind subsets)
  return { code: out, bindings };
}
