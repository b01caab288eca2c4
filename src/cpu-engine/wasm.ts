/**
 * The f32 CPU engine's WebAssembly modules. bench/cpu-engine.ts measures the kernels on this
 * machine's two cores: the WebAssembly SIMD Gram (f64x2) runs the ALS Gram build ~4x faster than the
 * blocked JS one and gives the same bits. engine.wat (ALS rows, SGD, residuals on the engine's
 * shared memory, see pool.ts) runs wherever shared WebAssembly memories and SIMD are available;
 * gram.wat (the Gram alone, on a private memory) serves the JS row solver where the data is not in
 * that memory; the JS kernels are the fallback (and can be forced for comparison).
 */
import { GRAM_WASM_BASE64 } from './gram-wasm.ts';
import { ENGINE_WASM_BASE64 } from './engine-wasm.ts';

let bytes: Uint8Array | null | undefined;
let engineBytes: Uint8Array | null | undefined;

/**
 * The bytes of engine.wat (ALS rows, SGD and residuals on the shared memory) when this runtime can
 * run them (WebAssembly SIMD and shared memories validate), else null.
 */
export function engineWasmBytes(): Uint8Array | null {
  if (engineBytes === undefined) {
    try {
      const b = Uint8Array.from(atob(ENGINE_WASM_BASE64), (c) => c.charCodeAt(0));
      engineBytes = typeof WebAssembly === 'object' && WebAssembly.validate(b) ? b : null;
    } catch {
      engineBytes = null;
    }
  }
  return engineBytes;
}

/** The SIMD module's bytes when this runtime can run them, else null. */
export function gramWasmBytes(): Uint8Array | null {
  if (bytes === undefined) {
    try {
      const b = Uint8Array.from(atob(GRAM_WASM_BASE64), (c) => c.charCodeAt(0));
      bytes = typeof WebAssembly === 'object' && WebAssembly.validate(b) ? b : null;
    } catch {
      bytes = null;
    }
  }
  return bytes;
}

export interface GramKernel {
  name: 'wasm-simd' | 'js';
  wasm: Uint8Array | null;
}

/** The kernel to use: 'auto' (default) = WebAssembly SIMD where it validates, else JS. */
export function gramKernel(choice: 'auto' | 'wasm-simd' | 'js' = 'auto'): GramKernel {
  const b = choice === 'js' ? null : gramWasmBytes();
  if (choice === 'wasm-simd' && !b) throw new Error('WebAssembly SIMD is not available in this runtime');
  return b ? { name: 'wasm-simd', wasm: b } : { name: 'js', wasm: null };
}
