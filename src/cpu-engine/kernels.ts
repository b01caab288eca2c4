/**
 * The f32 CPU engine's kernels: factors and ratings are stored as f32 (Float32Array), arithmetic
 * runs in JavaScript's f64 registers, and every hot loop is register-blocked (4 x 4 output tiles in
 * sixteen local accumulators) so the JIT keeps the sums in registers.
 *
 * These functions run unchanged on the calling thread and inside the worker pool (pool.ts builds
 * the worker's source from `WORKER_FUNCTIONS` with Function.prototype.toString). So each one is
 * self-contained: it may call only other functions of that list, and must not use imports or
 * module-level constants.
 *
 * Work is handed out in chunks through an Int32Array counter (`Atomics.add`): shared between
 * workers it balances rows of very different lengths; on one thread it is a plain counter.
 *
 * Where the job's arrays live in the engine's shared WebAssembly memory (pool.ts Heap; `job.heap`),
 * the row solve, the SGD update and the residuals run in engine.wat instead (WebAssembly SIMD, in
 * place): the same operations in the same order as the JS code here, so the same bits, which the
 * tests check. The JS code stays the fallback where WebAssembly SIMD or shared memory is missing.
 */

/** One side's solve (users with the items fixed, or the reverse). Arrays may be SharedArrayBuffer views. */
export interface SolveJob {
  indptr: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
  nRows: number;
  /** This side's factors (written), the other side's (read). Row-major, `stride` floats per row. */
  X: Float32Array;
  Y: Float32Array;
  stride: number;
  rank: number;
  /** Unknowns per row: rank, or rank + 1 with biases. */
  K: number;
  bias: boolean;
  /** Column of this side's bias, and of the other side's bias (see src/cpu/reference.ts layoutOf). */
  xBias: number;
  yBias: number;
  mu: number;
  lambda: number;
  lambdaBias: number;
  /** ALS-WR: lambda scaled by the row's number of ratings. */
  weighted: boolean;
  implicit: boolean;
  alpha: number;
  /** Implicit: Y^T Y over the solve columns (K x K, f64), added to every row's matrix. */
  base: Float64Array | null;
  cholesky: boolean;
  cgSteps: number;
  /** counter[0]: next chunk to take. */
  counter: Int32Array;
  chunk: number;
  /** The WebAssembly SIMD Gram kernel's bytes (gram.wat), or null for the JS kernel. */
  wasm: Uint8Array | null;
  /**
   * The engine's shared memory when every array above lives in it: the rows are then solved by
   * engine.wat's als_row (Cholesky only; CG stays in JS), with this thread's `scratch`
   * (engineScratch(K, cap) f64) and `cap` >= the longest row.
   */
  heap?: HeapRef | null;
  scratch?: Float64Array | null;
  cap?: number;
}

/** The engine's shared WebAssembly memory, as a job carries it to a worker. */
export interface HeapRef {
  memory: WebAssembly.Memory;
  /** Tells one engine's memory from another's (each worker keeps an instance per memory). */
  id: number;
  /** engine.wat's bytes. */
  bytes: Uint8Array;
}

interface EngineWasm {
  als_setup(...a: number[]): void;
  als_row(row: number): number;
  sgd_setup(...a: number[]): void;
  sgd_hog(q0: number, q1: number): void;
  sgd_list(q0: number, q1: number): void;
  residuals(users: number, items: number, values: number, X: number, Y: number, S: number, mu: number, k0: number, k1: number): number;
  sae(): number;
}

/** f64 scratch one thread needs for als_row: Q and P (cap x K4), A (K4 x K4), b, r1, xs (K4 each), T (cap). */
export function engineScratch(K: number, cap: number): number {
  const K4 = (K + 3) & ~3;
  return 2 * cap * K4 + K4 * K4 + 3 * K4 + cap;
}

/** This thread's instance of engine.wat on the heap's memory (the module compiled once per thread). */
export function engineWasm(h: HeapRef): EngineWasm {
  const g = globalThis as { __webmfEngine?: { module: WebAssembly.Module; instances: Map<number, EngineWasm> } };
  g.__webmfEngine ??= { module: new WebAssembly.Module(h.bytes as BufferSource), instances: new Map() };
  const c = g.__webmfEngine;
  let x = c.instances.get(h.id);
  if (!x) {
    x = new WebAssembly.Instance(c.module, { env: { memory: h.memory } }).exports as unknown as EngineWasm;
    // a thread keeps the instances of the few engines it served last (the calling thread may serve several fits)
    if (c.instances.size >= 4) c.instances.delete(c.instances.keys().next().value as number);
    c.instances.set(h.id, x);
  }
  return x;
}

/** solveRows on engine.wat: the same rows, the same operations in the same order, so the same bits. */
export function solveRowsWasm(job: SolveJob, E: EngineWasm): SolveResult {
  const out: SolveResult = { singular: 0, firstRow: -1, firstN: 0, rows: 0, overflow: 0, firstOverflow: -1 };
  E.als_setup(
    job.indptr.byteOffset, job.indices.byteOffset, job.values.byteOffset, job.X.byteOffset, job.Y.byteOffset,
    job.stride, job.rank, job.K, job.bias ? 1 : 0, job.xBias, job.yBias, job.mu, job.lambda, job.lambdaBias,
    job.weighted ? 1 : 0, job.implicit ? 1 : 0, job.alpha, job.base ? job.base.byteOffset : 0, job.scratch!.byteOffset, job.cap!,
  );
  const nChunks = Math.ceil(job.nRows / job.chunk);
  for (;;) {
    const c = Atomics.add(job.counter, 0, 1);
    if (c >= nChunks) break;
    const rEnd = Math.min((c + 1) * job.chunk, job.nRows);
    for (let row = c * job.chunk; row < rEnd; row++) {
      out.rows++;
      const st = E.als_row(row);
      if (st === 1) {
        if (out.singular === 0 || row < out.firstRow) {
          out.firstRow = row;
          out.firstN = job.indptr[row + 1] - job.indptr[row];
        }
        out.singular++;
      } else if (st === 2) {
        if (out.overflow === 0 || row < out.firstOverflow) out.firstOverflow = row;
        out.overflow++;
      }
    }
  }
  return out;
}

interface GramWasm {
  memory: WebAssembly.Memory;
  gram(p: number, q: number, n: number, k4: number, a: number): void;
}

/** This thread's instance of the WebAssembly Gram kernel (compiled once per thread), or null where it cannot run. */
export function gramWasm(bytes: Uint8Array): GramWasm | null {
  const g = globalThis as { __webmfGramWasm?: GramWasm | null };
  if (g.__webmfGramWasm === undefined) {
    try {
      g.__webmfGramWasm = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {}).exports as unknown as GramWasm;
    } catch {
      g.__webmfGramWasm = null;
    }
  }
  return g.__webmfGramWasm;
}

export interface SolveResult {
  singular: number;
  firstRow: number;
  firstN: number;
  rows: number;
  /**
   * Rows whose normal equations overflow what f32 data can mean (an entry of A or b past 1e30, or not
   * finite, or a solution past the f32 range): left unchanged, like singular ones; the first of them.
   */
  overflow: number;
  firstOverflow: number;
}


/**
 * A = sum_j p_j q_j^T over the n gathered rows (row-major, K4 = K rounded up to 4 floats per row,
 * padding zero): the lower triangle, by 4 x 4 tiles in sixteen local accumulators, stored
 * straight into `A` (K4 x K4, row-major, f64). Cells above the diagonal are left as they are
 * (the diagonal tiles also write a few). P = Q for an unweighted Gram.
 */
export function gramBlocked(P: Float32Array, Q: Float32Array, n: number, K4: number, A: Float64Array): void {
  const end = n * K4;
  for (let a0 = 0; a0 < K4; a0 += 4) {
    for (let c0 = 0; c0 <= a0; c0 += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let o = 0; o < end; o += K4) {
        const p0 = P[o + a0], p1 = P[o + a0 + 1], p2 = P[o + a0 + 2], p3 = P[o + a0 + 3];
        const q0 = Q[o + c0], q1 = Q[o + c0 + 1], q2 = Q[o + c0 + 2], q3 = Q[o + c0 + 3];
        s00 += p0 * q0; s01 += p0 * q1; s02 += p0 * q2; s03 += p0 * q3;
        s10 += p1 * q0; s11 += p1 * q1; s12 += p1 * q2; s13 += p1 * q3;
        s20 += p2 * q0; s21 += p2 * q1; s22 += p2 * q2; s23 += p2 * q3;
        s30 += p3 * q0; s31 += p3 * q1; s32 += p3 * q2; s33 += p3 * q3;
      }
      let t = a0 * K4 + c0;
      A[t] = s00; A[t + 1] = s01; A[t + 2] = s02; A[t + 3] = s03;
      t += K4;
      A[t] = s10; A[t + 1] = s11; A[t + 2] = s12; A[t + 3] = s13;
      t += K4;
      A[t] = s20; A[t + 1] = s21; A[t + 2] = s22; A[t + 3] = s23;
      t += K4;
      A[t] = s30; A[t + 1] = s31; A[t + 2] = s32; A[t + 3] = s33;
    }
  }
}

/**
 * Cholesky A = L L^T in place on the lower triangle of A (K x K used, row stride `ld`), f64.
 * False when a pivot is not positive relative to its diagonal.
 */
export function choleskyInPlace(A: Float64Array, K: number, ld: number, tol: number): boolean {
  // The dot products run in four independent partial sums (one f64 add chain would be bound by the
  // add latency, not by throughput); j4 = the part of [0, j) in whole groups of four.
  for (let j = 0; j < K; j++) {
    const rj = j * ld;
    const j4 = j & ~3;
    const diag = A[rj + j];
    let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    for (let k = 0; k < j4; k += 4) {
      const x0 = A[rj + k], x1 = A[rj + k + 1], x2 = A[rj + k + 2], x3 = A[rj + k + 3];
      d0 += x0 * x0; d1 += x1 * x1; d2 += x2 * x2; d3 += x3 * x3;
    }
    for (let k = j4; k < j; k++) d0 += A[rj + k] * A[rj + k];
    const d = diag - (d0 + d1 + (d2 + d3));
    if (!(d > tol * diag) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    const inv = 1 / ljj;
    A[rj + j] = ljj;
    for (let i = j + 1; i < K; i++) {
      const ri = i * ld;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < j4; k += 4) {
        s0 += A[ri + k] * A[rj + k];
        s1 += A[ri + k + 1] * A[rj + k + 1];
        s2 += A[ri + k + 2] * A[rj + k + 2];
        s3 += A[ri + k + 3] * A[rj + k + 3];
      }
      for (let k = j4; k < j; k++) s0 += A[ri + k] * A[rj + k];
      A[ri + j] = (A[ri + j] - (s0 + s1 + (s2 + s3))) * inv;
    }
  }
  return true;
}

/** Solves L L^T x = b with L in the lower triangle of A (row stride `ld`); b is overwritten with x. */
export function choleskySolveInPlace(A: Float64Array, b: Float64Array, K: number, ld: number): void {
  for (let i = 0; i < K; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= A[i * ld + k] * b[k];
    b[i] = s / A[i * ld + i];
  }
  for (let i = K - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < K; k++) s -= A[k * ld + i] * b[k];
    b[i] = s / A[i * ld + i];
  }
}

/** `steps` conjugate-gradient steps on A x = b (full symmetric A, row stride `ld`) from x (in place); r, p, ap are scratch of length K. */
export function cgDense(A: Float64Array, ld: number, b: Float64Array, x: Float64Array, K: number, steps: number, r: Float64Array, p: Float64Array, ap: Float64Array): void {
  let rs = 0;
  for (let i = 0; i < K; i++) {
    let s = 0;
    for (let j = 0; j < K; j++) s += A[i * ld + j] * x[j];
    r[i] = b[i] - s;
    p[i] = r[i];
    rs += r[i] * r[i];
  }
  for (let st = 0; st < steps; st++) {
    let pap = 0;
    for (let i = 0; i < K; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += A[i * ld + j] * p[j];
      ap[i] = s;
      pap += p[i] * s;
    }
    const a = pap > 0 && rs > 0 ? rs / pap : 0;
    let rsn = 0;
    for (let i = 0; i < K; i++) {
      x[i] += a * p[i];
      r[i] -= a * ap[i];
      rsn += r[i] * r[i];
    }
    const beta = rs > 0 ? rsn / rs : 0;
    for (let i = 0; i < K; i++) p[i] = r[i] + beta * p[i];
    rs = rsn;
  }
}

/**
 * Solves rows of one side, taking chunks of `job.chunk` rows from the shared counter until none is
 * left. The same normal equations as src/cpu/reference.ts normalEquations; rows without ratings
 * get zeros. Singular rows are counted (and left unchanged); the caller turns them into an error.
 */
export function solveRows(job: SolveJob): SolveResult {
  if (job.heap && job.scratch && job.cholesky) return solveRowsWasm(job, engineWasm(job.heap));
  const { indptr, indices, values, X, Y, stride, rank, K, xBias, yBias, mu, base } = job;
  const K4 = (K + 3) & ~3;
  let cap = 64;
  for (let r = 0; r < job.nRows; r++) cap = Math.max(cap, indptr[r + 1] - indptr[r]);
  // Gathered rows: f32 for the JS kernel, f64 in the WebAssembly memory for the SIMD kernel (the
  // same values: f32 widened exactly), and the matrix A (K4 x K4).
  // (wasm32 addresses: rows so long that the gathered block passes 1 GiB take the JS kernel)
  const wasm = job.wasm && (job.implicit ? 2 : 1) * cap * K4 * 8 < 2 ** 30 ? gramWasm(job.wasm) : null;
  let Q: Float32Array | Float64Array;
  let P: Float32Array | Float64Array;
  let A: Float64Array;
  const pOff = job.implicit ? cap * K4 * 8 : 0;
  const aOff = (job.implicit ? 2 : 1) * cap * K4 * 8;
  if (wasm) {
    const need = aOff + K4 * K4 * 8;
    const have = wasm.memory.buffer.byteLength;
    if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
    Q = new Float64Array(wasm.memory.buffer, 0, cap * K4);
    P = job.implicit ? new Float64Array(wasm.memory.buffer, pOff, cap * K4) : Q;
    A = new Float64Array(wasm.memory.buffer, aOff, K4 * K4);
  } else {
    Q = new Float32Array(cap * K4);
    P = job.implicit ? new Float32Array(cap * K4) : Q;
    A = new Float64Array(K4 * K4);
  }
  const T = new Float64Array(cap);
  const b = new Float64Array(K);
  const r1 = new Float64Array(K4);
  const r2 = new Float64Array(K);
  const r3 = new Float64Array(K);
  const r4 = new Float64Array(K);
  const M = new Float64Array(K * K);
  const y = new Float64Array(K);
  const out: SolveResult = { singular: 0, firstRow: -1, firstN: 0, rows: 0, overflow: 0, firstOverflow: -1 };
  const overflowed = (row: number) => {
    if (out.overflow === 0 || row < out.firstOverflow) out.firstOverflow = row;
    out.overflow++;
  };
  const F32_MAX = 3.4028234663852886e38;
  // Above this, a normal-equation entry means ratings or factors too large for f32 (src/core/layout.ts OVERFLOW_SCALE).
  const OVERFLOW_LIMIT = 1e30;
  const nChunks = Math.ceil(job.nRows / job.chunk);
  for (;;) {
    const c = Atomics.add(job.counter, 0, 1);
    if (c >= nChunks) break;
    const rEnd = Math.min(job.nRows, (c + 1) * job.chunk);
    for (let row = c * job.chunk; row < rEnd; row++) {
      out.rows++;
      const p0 = indptr[row];
      const n = indptr[row + 1] - p0;
      const xo = row * stride;
      if (n === 0) {
        for (let t = 0; t < K; t++) X[xo + (t < rank ? t : xBias)] = 0;
        continue;
      }
      // Gather the other side's rows (solve columns), the targets and (implicit) the weighted copy.
      for (let j = 0; j < n; j++) {
        const yo = indices[p0 + j] * stride;
        const v = values[p0 + j];
        const o = j * K4;
        for (let t = 0; t < rank; t++) Q[o + t] = Y[yo + t];
        if (job.bias) Q[o + rank] = Y[yo + xBias];
        for (let t = K; t < K4; t++) Q[o + t] = 0;
        if (job.implicit) {
          const w = job.alpha * v;
          for (let t = 0; t < K4; t++) P[o + t] = Math.fround(w * Q[o + t]);
          T[j] = v > 0 ? 1 + job.alpha * v : 0;
        } else {
          T[j] = job.bias ? v - mu - Y[yo + yBias] : v - mu;
        }
      }
      const scale = job.weighted ? n : 1;
      if (job.cholesky && !job.implicit && n < K && job.lambda > 0 && (!job.bias || job.lambdaBias > 0)) {
        // A short row (n < K ratings, explicit, lambda > 0): A = D + Q^T Q with D = diag(lambda_t) > 0, so by
        // Woodbury x = A^-1 Q^T t = D^-1 Q^T (I + Q D^-1 Q^T)^-1 t: an n x n Cholesky instead of K x K,
        // and n^2 K instead of n K^2 for the matrix. The same solution, with rounding of the same order.
        // Overflow evidence, as on the K x K path: the diagonal of Q^T Q (its largest entries) and b.
        let big = false;
        for (let t = 0; t < K; t++) {
          let d = 0;
          let bt = 0;
          for (let j = 0; j < n; j++) {
            d += Q[j * K4 + t] * Q[j * K4 + t];
            bt += T[j] * Q[j * K4 + t];
          }
          if (!(d <= OVERFLOW_LIMIT) || !(Math.abs(bt) <= OVERFLOW_LIMIT)) big = true;
        }
        if (big) {
          overflowed(row);
          continue;
        }
        for (let t = 0; t < K; t++) r1[t] = 1 / ((t < rank ? job.lambda : job.lambdaBias) * scale);
        for (let t = K; t < K4; t++) r1[t] = 0;
        for (let j = 0; j < n; j++) {
          const oj = j * K4;
          for (let l = 0; l <= j; l++) {
            const ol = l * K4;
            // four partial sums over the padded row (padding is zero): not bound by the add latency
            let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (let t = 0; t < K4; t += 4) {
              s0 += Q[oj + t] * Q[ol + t] * r1[t];
              s1 += Q[oj + t + 1] * Q[ol + t + 1] * r1[t + 1];
              s2 += Q[oj + t + 2] * Q[ol + t + 2] * r1[t + 2];
              s3 += Q[oj + t + 3] * Q[ol + t + 3] * r1[t + 3];
            }
            const s = s0 + s1 + (s2 + s3);
            M[j * K + l] = j === l ? s + 1 : s;
          }
          y[j] = T[j];
        }
        if (!choleskyInPlace(M, n, K, 1e-10)) {
          if (out.singular === 0 || row < out.firstRow) {
            out.firstRow = row;
            out.firstN = n;
          }
          out.singular++;
          continue;
        }
        choleskySolveInPlace(M, y, n, K);
        for (let t = 0; t < K; t++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += Q[j * K4 + t] * y[j];
          b[t] = s * r1[t];
        }
        let ok = true;
        for (let t = 0; t < K; t++) if (!(Math.abs(Math.fround(b[t])) <= F32_MAX)) ok = false;
        if (!ok) overflowed(row);
        else for (let t = 0; t < K; t++) X[xo + (t < rank ? t : xBias)] = b[t];
        continue;
      }
      if (wasm) wasm.gram(pOff, 0, n, K4, aOff);
      else gramBlocked(P as Float32Array, Q as Float32Array, n, K4, A);
      for (let a = 0; a < K; a++) b[a] = 0;
      for (let j = 0; j < n; j++) {
        const tj = T[j];
        if (tj === 0) continue;
        const o = j * K4;
        for (let a = 0; a < K; a++) b[a] += tj * Q[o + a];
      }
      let big = false;
      for (let a = 0; a < K; a++) if (!(Math.abs(A[a * K4 + a]) <= OVERFLOW_LIMIT) || !(Math.abs(b[a]) <= OVERFLOW_LIMIT)) big = true;
      if (big) {
        overflowed(row);
        continue;
      }
      if (base) for (let a = 0; a < K; a++) for (let c = 0; c <= a; c++) A[a * K4 + c] += base[a * K + c];
      for (let a = 0; a < K; a++) A[a * K4 + a] += (a < rank ? job.lambda : job.lambdaBias) * scale;
      if (job.cholesky) {
        if (!choleskyInPlace(A, K, K4, 1e-10)) {
          if (out.singular === 0 || row < out.firstRow) {
            out.firstRow = row;
            out.firstN = n;
          }
          out.singular++;
          continue;
        }
        choleskySolveInPlace(A, b, K, K4);
        let ok = true;
        for (let t = 0; t < K; t++) if (!(Math.abs(Math.fround(b[t])) <= F32_MAX)) ok = false;
        if (!ok) overflowed(row);
        else for (let t = 0; t < K; t++) X[xo + (t < rank ? t : xBias)] = b[t];
      } else {
        for (let a = 0; a < K; a++) for (let c = a + 1; c < K; c++) A[a * K4 + c] = A[c * K4 + a];
        for (let t = 0; t < K; t++) r1[t] = X[xo + (t < rank ? t : xBias)];
        cgDense(A, K4, b, r1, K, job.cgSteps, r2, r3, r4);
        let ok = true;
        for (let t = 0; t < K; t++) if (!(Math.abs(Math.fround(r1[t])) <= F32_MAX)) ok = false;
        if (!ok) overflowed(row);
        else for (let t = 0; t < K; t++) X[xo + (t < rank ? t : xBias)] = r1[t];
      }
    }
  }
  return out;
}

/** One SGD job: ratings visited in `order[q0..q1)` (or blocks of a stratified plan). */
export interface SgdJob {
  users: Int32Array;
  items: Int32Array;
  values: Float32Array;
  X: Float32Array;
  Y: Float32Array;
  rank: number;
  bias: boolean;
  mu: number;
  lr: number;
  lambda: number;
  lambdaBias: number;
  /** AdaGrad accumulators (2 per row; see src/cpu/sgd-reference.ts) or null. */
  GU: Float32Array | null;
  GI: Float32Array | null;
  lead: number;
  leadOnly: boolean;
  order: Uint32Array;
  /** The engine's shared memory when every array above lives in it: engine.wat's update then runs. */
  heap?: HeapRef | null;
}

/** engine.wat's SGD parameters for this job (Feistel ones for Hogwild). */
export function sgdSetup(j: SgdJob, E: EngineWasm, n: number, half: number, mask: number, keys: Uint32Array | null): void {
  const off = (a: ArrayBufferView | null) => (a ? a.byteOffset : 0);
  E.sgd_setup(
    j.users.byteOffset, j.items.byteOffset, j.values.byteOffset, j.X.byteOffset, j.Y.byteOffset, j.rank, j.bias ? 1 : 0,
    j.mu, j.lr, j.lambda, j.lambdaBias, off(j.GU), off(j.GI), j.lead, j.leadOnly ? 1 : 0, off(j.order), n, half, mask,
    keys ? keys[0] : 0, keys ? keys[1] : 0, keys ? keys[2] : 0, keys ? keys[3] : 0,
  );
}

/**
 * One SGD update on rating k, in place: the update of src/cpu/sgd-reference.ts sgdUpdateF64
 * (prediction mu + x_u.y_i, gradients from the old values, AdaGrad's two groups), with f64
 * arithmetic and f32 stores.
 */
export function sgdUpdate(j: SgdJob, k: number): void {
  const { X, Y, rank } = j;
  const S = j.bias ? rank + 2 : rank; // strideOf (src/core/layout.ts); no imports in this file, see the header
  const u = j.users[k];
  const i = j.items[k];
  const xu = u * S;
  const yi = i * S;
  let pred = j.mu;
  for (let c = 0; c < S; c++) pred += X[xu + c] * Y[yi + c];
  const e = j.values[k] - pred;
  const lam = j.lambda;
  const GU = j.GU;
  const GI = j.GI;
  if (GU === null || GI === null) {
    const lr = j.lr;
    for (let c = 0; c < rank; c++) {
      const w = X[xu + c];
      const h = Y[yi + c];
      X[xu + c] = w + lr * (e * h - lam * w);
      Y[yi + c] = h + lr * (e * w - lam * h);
    }
    if (j.bias) {
      const lb = j.lambdaBias;
      X[xu + rank] += lr * (e - lb * X[xu + rank]);
      Y[yi + rank + 1] += lr * (e - lb * Y[yi + rank + 1]);
    }
    return;
  }
  const lead = j.lead;
  const kEnd = j.leadOnly ? lead : rank;
  const lu0 = j.lr / Math.sqrt(GU[2 * u]);
  const li0 = j.lr / Math.sqrt(GI[2 * i]);
  const lu1 = j.lr / Math.sqrt(GU[2 * u + 1]);
  const li1 = j.lr / Math.sqrt(GI[2 * i + 1]);
  let tu0 = 0, ti0 = 0, tu1 = 0, ti1 = 0;
  for (let c = 0; c < kEnd; c++) {
    const w = X[xu + c];
    const h = Y[yi + c];
    const gw = e * h - lam * w;
    const gh = e * w - lam * h;
    if (c < lead) {
      X[xu + c] = w + lu0 * gw;
      Y[yi + c] = h + li0 * gh;
      tu0 += gw * gw;
      ti0 += gh * gh;
    } else {
      X[xu + c] = w + lu1 * gw;
      Y[yi + c] = h + li1 * gh;
      tu1 += gw * gw;
      ti1 += gh * gh;
    }
  }
  if (j.bias) {
    const gbu = e - j.lambdaBias * X[xu + rank];
    const gbi = e - j.lambdaBias * Y[yi + rank + 1];
    X[xu + rank] += lu0 * gbu;
    Y[yi + rank + 1] += li0 * gbi;
    tu0 += gbu * gbu;
    ti0 += gbi * gbi;
  }
  const K0 = j.bias ? lead + 1 : lead;
  GU[2 * u] += tu0 / K0;
  GI[2 * i] += ti0 / K0;
  if (lead < rank && !j.leadOnly) {
    GU[2 * u + 1] += tu1 / (rank - lead);
    GI[2 * i + 1] += ti1 / (rank - lead);
  }
}

/**
 * Position p of the epoch's seeded permutation of [0, n): the 4-round Feistel network with cycle
 * walking of src/sgd/plan.ts (feistelPermutation), evaluated where it is needed.
 */
export function feistelAt(p: number, n: number, half: number, mask: number, keys: Uint32Array): number {
  let x = p;
  do {
    let l = x >>> half;
    let r = x & mask;
    for (let rd = 0; rd < 4; rd++) {
      let h = (r ^ keys[rd]) >>> 0;
      h = Math.imul(h, 0x9e3779b1) >>> 0;
      h = (h ^ (h >>> 15)) >>> 0;
      h = Math.imul(h, 0x85ebca77) >>> 0;
      h = (h ^ (h >>> 13)) >>> 0;
      h = Math.imul(h, 0xc2b2ae3d) >>> 0;
      h = (h ^ (h >>> 16)) >>> 0;
      const nl = r;
      r = (l ^ (h & mask)) >>> 0;
      l = nl;
    }
    x = ((l << half) | r) >>> 0;
  } while (x >= n);
  return x;
}

/**
 * Hogwild: the epoch's permutation (Feistel keys `keys`) split into chunks taken from counter[0];
 * workers update the shared factors without locks (a race costs one stale read, as in Hogwild!;
 * no value is ever torn, since each f32 is written whole).
 */
export function sgdHogwild(j: SgdJob & { counter: Int32Array; chunk: number; n: number; half: number; mask: number; keys: Uint32Array }): number {
  const n = j.n;
  const nChunks = Math.ceil(n / j.chunk);
  const E = j.heap ? engineWasm(j.heap) : null;
  if (E) sgdSetup(j, E, n, j.half, j.mask, j.keys);
  let done = 0;
  for (;;) {
    const c = Atomics.add(j.counter, 0, 1);
    if (c >= nChunks) break;
    const q1 = Math.min(n, (c + 1) * j.chunk);
    if (E) E.sgd_hog(c * j.chunk, q1);
    else for (let q = c * j.chunk; q < q1; q++) sgdUpdate(j, feistelAt(q, n, j.half, j.mask, j.keys));
    done += q1 - c * j.chunk;
  }
  return done;
}

/** Residual sums over ratings [k0, k1) (see residualSums), for a part of the ratings on one worker. */
export function residualPart(j: { users: Int32Array; items: Int32Array; values: Float32Array; X: Float32Array; Y: Float32Array; S: number; mu: number; k0: number; k1: number; heap?: HeapRef | null }): { sse: number; sae: number } {
  if (j.heap) {
    // engine.wat's residuals: the same sums in the same order
    const E = engineWasm(j.heap);
    const sse = E.residuals(j.users.byteOffset, j.items.byteOffset, j.values.byteOffset, j.X.byteOffset, j.Y.byteOffset, j.S, j.mu, j.k0, j.k1);
    return { sse, sae: E.sae() };
  }
  return residualSums(j.users.subarray(j.k0, j.k1), j.items.subarray(j.k0, j.k1), j.values.subarray(j.k0, j.k1), j.X, j.Y, j.S, j.mu);
}

/**
 * Stratified: for each sub-epoch s (shift = shifts[s]), the b blocks (p, (p + shift) mod b) share
 * no user and no item, so workers take them from counter[2s] in any order without changing the
 * result; then all `workers` meet at a barrier (counter[2s + 1]) before the next sub-epoch.
 */
export function sgdStratified(
  j: SgdJob & { counter: Int32Array; b: number; blockStart: Uint32Array; shifts: Int32Array; workers: number },
): number {
  const { b, blockStart, counter } = j;
  const E = j.heap ? engineWasm(j.heap) : null;
  if (E) sgdSetup(j, E, 0, 0, 0, null);
  let done = 0;
  for (let s = 0; s < j.shifts.length; s++) {
    const shift = j.shifts[s];
    for (;;) {
      const p = Atomics.add(counter, 2 * s, 1);
      if (p >= b) break;
      const blk = p * b + ((p + shift) % b);
      if (E) E.sgd_list(blockStart[blk], blockStart[blk + 1]);
      else for (let q = blockStart[blk]; q < blockStart[blk + 1]; q++) sgdUpdate(j, j.order[q]);
      done += blockStart[blk + 1] - blockStart[blk];
    }
    if (j.workers > 1) {
      const at = 2 * s + 1;
      if (Atomics.add(counter, at, 1) + 1 === j.workers) Atomics.notify(counter, at);
      else {
        for (;;) {
          const v = Atomics.load(counter, at);
          if (v >= j.workers) break;
          Atomics.wait(counter, at, v, 1000);
        }
      }
    }
  }
  return done;
}

/** Full-batch GD, phase 1: residuals E[q] = a - mu - x_u.y_i of CSR entries q in chunks. */
export function gdResiduals(j: {
  rowOf: Uint32Array; cols: Uint32Array; vals: Float32Array; X: Float32Array; Y: Float32Array; S: number; mu: number;
  E: Float64Array; counter: Int32Array; chunk: number;
}): number {
  const n = j.vals.length;
  const nChunks = Math.ceil(n / j.chunk);
  const { X, Y, S } = j;
  for (;;) {
    const c = Atomics.add(j.counter, 0, 1);
    if (c >= nChunks) break;
    const q1 = Math.min(n, (c + 1) * j.chunk);
    for (let q = c * j.chunk; q < q1; q++) {
      const xu = j.rowOf[q] * S;
      const yi = j.cols[q] * S;
      let s = j.mu;
      for (let k = 0; k < S; k++) s += X[xu + k] * Y[yi + k];
      j.E[q] = j.vals[q] - s;
    }
  }
  return 0;
}

/**
 * Full-batch GD, phase 2, one side: New = Old + lr (sum_q E_q Other_col - lambda Old), the
 * constant column kept at 1 (src/cpu/sgd-reference.ts gdStepF64). `map` points CSC entries at
 * their residual (null on the CSR side).
 */
export function gdSide(j: {
  nRows: number; ptr: Uint32Array; cols: Uint32Array; map: Uint32Array | null; E: Float64Array; Old: Float32Array; Other: Float32Array;
  New: Float32Array; S: number; rank: number; constCol: number; lr: number; lambda: number; lambdaBias: number; counter: Int32Array; chunk: number;
}): number {
  const { S, Old, Other, New, E, map, cols } = j;
  const g = new Float64Array(S);
  const nChunks = Math.ceil(j.nRows / j.chunk);
  for (;;) {
    const c = Atomics.add(j.counter, 0, 1);
    if (c >= nChunks) break;
    const r1 = Math.min(j.nRows, (c + 1) * j.chunk);
    for (let r = c * j.chunk; r < r1; r++) {
      for (let k = 0; k < S; k++) g[k] = 0;
      for (let q = j.ptr[r]; q < j.ptr[r + 1]; q++) {
        const e = E[map ? map[q] : q];
        const o = cols[q] * S;
        for (let k = 0; k < S; k++) g[k] += e * Other[o + k];
      }
      for (let k = 0; k < S; k++) {
        const at = r * S + k;
        if (k === j.constCol) New[at] = 1;
        else New[at] = Old[at] + j.lr * (g[k] - (k >= j.rank ? j.lambdaBias : j.lambda) * Old[at]);
      }
    }
  }
  return 0;
}

/** Residual sums over ratings [k0, k1): sse and sae of a - mu - x_u.y_i (explicit). */
export function residualSums(users: Int32Array, items: Int32Array, values: Float32Array, X: Float32Array, Y: Float32Array, S: number, mu: number): { sse: number; sae: number } {
  let sse = 0;
  let sae = 0;
  const n = values.length;
  for (let k = 0; k < n; k++) {
    const xu = users[k] * S;
    const yi = items[k] * S;
    let s = mu;
    for (let c = 0; c < S; c++) s += X[xu + c] * Y[yi + c];
    const e = values[k] - s;
    sse += e * e;
    sae += e < 0 ? -e : e;
  }
  return { sse, sae };
}

/**
 * A^T B (S x S, f64) of row-major n x S matrices, optionally rows weighted, by 4 x 4 tiles over
 * copies padded to a multiple of 4 columns. `symmetric`: A = B, only upper tiles, mirrored.
 */
export function gramRows(A: ArrayLike<number>, B: ArrayLike<number>, n: number, S: number, symmetric: boolean, weights?: ArrayLike<number>): Float64Array {
  const S4 = (S + 3) & ~3;
  const pa = new Float64Array(n * S4);
  const pb = symmetric && !weights ? pa : new Float64Array(n * S4);
  for (let r = 0; r < n; r++) {
    const w = weights ? weights[r] : 1;
    for (let c = 0; c < S; c++) {
      pa[r * S4 + c] = A[r * S + c] * w;
      if (pb !== pa) pb[r * S4 + c] = B[r * S + c];
    }
  }
  const G = new Float64Array(S * S);
  const end = n * S4;
  for (let a0 = 0; a0 < S4; a0 += 4) {
    for (let c0 = symmetric ? a0 : 0; c0 < S4; c0 += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let o = 0; o < end; o += S4) {
        const p0 = pa[o + a0], p1 = pa[o + a0 + 1], p2 = pa[o + a0 + 2], p3 = pa[o + a0 + 3];
        const q0 = pb[o + c0], q1 = pb[o + c0 + 1], q2 = pb[o + c0 + 2], q3 = pb[o + c0 + 3];
        s00 += p0 * q0; s01 += p0 * q1; s02 += p0 * q2; s03 += p0 * q3;
        s10 += p1 * q0; s11 += p1 * q1; s12 += p1 * q2; s13 += p1 * q3;
        s20 += p2 * q0; s21 += p2 * q1; s22 += p2 * q2; s23 += p2 * q3;
        s30 += p3 * q0; s31 += p3 * q1; s32 += p3 * q2; s33 += p3 * q3;
      }
      const t = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
      for (let i = 0; i < 4; i++) {
        const a = a0 + i;
        if (a >= S) break;
        for (let k = 0; k < 4; k++) {
          const c = c0 + k;
          if (c >= S) break;
          G[a * S + c] = t[i * 4 + k];
          if (symmetric) G[c * S + a] = t[i * 4 + k];
        }
      }
    }
  }
  return G;
}

/**
 * Benchmark job: `reps` Gram builds of the n x K4 rows P (chunks of 1 from counter[0]), each
 * into the worker's own K x K output. Returns a checksum so the work cannot be optimized away.
 */
export function gramBench(j: { P: Float32Array; n: number; K: number; reps: number; counter: Int32Array; wasm: Uint8Array | null; heap?: HeapRef | null; scratch?: Float64Array }): number {
  const K4 = (j.K + 3) & ~3;
  let sum = 0;
  if (j.heap && j.scratch) {
    // engine.wat's Gram (the one the engine's row solver calls), on this thread's scratch in the shared memory
    const E = engineWasm(j.heap) as EngineWasm & { gram(p: number, q: number, n: number, k4: number, a: number): void };
    const Q = new Float64Array(j.scratch.buffer, j.scratch.byteOffset, j.n * K4);
    Q.set(j.P);
    const aOff = j.scratch.byteOffset + j.n * K4 * 8;
    const A = new Float64Array(j.scratch.buffer, aOff, K4 * K4);
    while (Atomics.add(j.counter, 0, 1) < j.reps) {
      E.gram(Q.byteOffset, Q.byteOffset, j.n, K4, aOff);
      sum += A[0];
    }
    return sum;
  }
  const w = j.wasm ? gramWasm(j.wasm) : null;
  if (w) {
    const need = (j.n * K4 + K4 * K4) * 8;
    if (need > w.memory.buffer.byteLength) w.memory.grow(Math.ceil((need - w.memory.buffer.byteLength) / 65536));
    new Float64Array(w.memory.buffer, 0, j.n * K4).set(j.P);
    const A = new Float64Array(w.memory.buffer, j.n * K4 * 8, K4 * K4);
    while (Atomics.add(j.counter, 0, 1) < j.reps) {
      w.gram(0, 0, j.n, K4, j.n * K4 * 8);
      sum += A[0];
    }
    return sum;
  }
  const A = new Float64Array(K4 * K4);
  while (Atomics.add(j.counter, 0, 1) < j.reps) {
    gramBlocked(j.P, j.P, j.n, K4, A);
    sum += A[0];
  }
  return sum;
}

/**
 * Part of ||W H^T - W' H'^T||_F^2 (src/cpu/reference.ts factorDeltaSquared) for rows [r0, r1)
 * of one side, with D = X - Xp in f64: the user side's X^T X, X^T D, D^T D, or the item side's
 * D^T D, Xp^T D, Xp^T Xp. The caller sums the parts over the row ranges.
 */
export function deltaGrams(j: { X: Float32Array; Xp: Float32Array; S: number; r0: number; r1: number; side: 'user' | 'item' }): Float64Array[] {
  const { S, r0, r1 } = j;
  const n = r1 - r0;
  const X = j.X.subarray(r0 * S, r1 * S);
  const P = j.Xp.subarray(r0 * S, r1 * S);
  const D = new Float64Array(n * S);
  for (let k = 0; k < D.length; k++) D[k] = X[k] - P[k];
  if (j.side === 'user') return [gramRows(X, X, n, S, true), gramRows(X, D, n, S, false), gramRows(D, D, n, S, true)];
  return [gramRows(D, D, n, S, true), gramRows(P, D, n, S, false), gramRows(P, P, n, S, true)];
}

/** Rows per block of deltaGramsWasm: each thread's scratch holds two blocks and one S4 x S4 Gram (deltaScratch). */
export function deltaScratch(S: number, block: number): number {
  const S4 = (S + 3) & ~3;
  return 2 * block * S4 + S4 * S4;
}

/**
 * deltaGrams with engine.wat's Gram: rows [r0, r1) widened to f64 in blocks of `block` rows (padded
 * to S4 columns, in this thread's `scratch`), each block's Grams added into the result. The same
 * three matrices; the sums are grouped by blocks (f64, relative error ~ n 2^-53).
 */
export function deltaGramsWasm(j: { X: Float32Array; Xp: Float32Array; S: number; r0: number; r1: number; side: 'user' | 'item'; heap: HeapRef; scratch: Float64Array; block: number }): Float64Array[] {
  const E = engineWasm(j.heap) as EngineWasm & { gram(p: number, q: number, n: number, k4: number, a: number): void };
  const { S, X, Xp, block: B } = j;
  const S4 = (S + 3) & ~3;
  const buf = j.scratch.buffer;
  const o1 = j.scratch.byteOffset;
  const o2 = o1 + B * S4 * 8;
  const oA = o2 + B * S4 * 8;
  const P1 = new Float64Array(buf, o1, B * S4);
  const P2 = new Float64Array(buf, o2, B * S4);
  const A = new Float64Array(buf, oA, S4 * S4);
  P1.fill(0);
  P2.fill(0);
  const user = j.side === 'user';
  const G = [new Float64Array(S * S), new Float64Array(S * S), new Float64Array(S * S)];
  const lower = (g: Float64Array) => {
    for (let a = 0; a < S; a++) for (let c = 0; c <= a; c++) g[a * S + c] += A[a * S4 + c];
  };
  for (let r = j.r0; r < j.r1; r += B) {
    const n = Math.min(B, j.r1 - r);
    for (let i = 0; i < n; i++) {
      const at = (r + i) * S;
      for (let c = 0; c < S; c++) {
        const x = X[at + c];
        const p = Xp[at + c];
        P1[i * S4 + c] = user ? x : p;
        P2[i * S4 + c] = x - p;
      }
    }
    // user side: X^T X, X^T D, D^T D (P1 = X); item side: D^T D, Xp^T D, Xp^T Xp (P1 = Xp)
    E.gram(o1, o1, n, S4, oA);
    lower(G[user ? 0 : 2]);
    E.gram(o2, o2, n, S4, oA);
    lower(G[user ? 2 : 0]);
    E.gram(o1, o2, n, S4, oA);
    lower(G[1]);
    // the upper triangle of P1^T P2 is the lower one of P2^T P1, transposed
    E.gram(o2, o1, n, S4, oA);
    for (let a = 0; a < S; a++) for (let c = 0; c < a; c++) G[1][c * S + a] += A[a * S4 + c];
  }
  for (const g of [G[0], G[2]]) for (let a = 0; a < S; a++) for (let c = 0; c < a; c++) g[c * S + a] = g[a * S + c];
  return G;
}

/** Every function the worker needs, in dependency-free order (pool.ts stringifies them). */
export const WORKER_FUNCTIONS = [engineWasm, solveRowsWasm, sgdSetup, deltaGramsWasm, gramWasm, gramBlocked, choleskyInPlace, choleskySolveInPlace, cgDense, solveRows, sgdUpdate, feistelAt, sgdHogwild, residualSums, residualPart, sgdStratified, gdResiduals, gdSide, gramBench, gramRows, deltaGrams];

/** The jobs a worker runs, by name. */
export const OPS = { solveRows, residualPart, sgdHogwild, sgdStratified, gdResiduals, gdSide, gramBench, deltaGrams, deltaGramsWasm } as const;
export type OpName = keyof typeof OPS;
