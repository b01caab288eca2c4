/**
 * Mutations of the f32 CPU engine (src/cpu-engine) that its checks (test/gpu/cases-cpu.ts, cases
 * named 'f32 CPU engine: ...') must catch: each is an exact, unique snippet of `file` and the bug
 * to put in its place, with what the bug would mean for a user. The mutation runner applies them
 * one at a time, like the GPU kernels' list.
 */
export interface CpuEngineMutant {
  id: string;
  file: string;
  find: string;
  replace: string;
  kind: 'operator' | 'off-by-one' | 'dropped' | 'index' | 'skipped' | 'barrier' | 'sentinel';
  why: string;
  cases?: string[];
}

export const CPU_ENGINE_CASES = ['f32 CPU engine'];

export const cpuEngineMutants: CpuEngineMutant[] = [
  { id: 'cpu-gram-swap', file: 'src/cpu-engine/kernels.ts', find: 'A[t] = s00; A[t + 1] = s01;', replace: 'A[t] = s01; A[t + 1] = s00;', kind: 'index', why: 'the JS Gram tile stores two sums in each other\'s cells: wrong normal equations where WebAssembly SIMD is missing' },
  { id: 'cpu-chol-partial', file: 'src/cpu-engine/kernels.ts', find: 'const d = diag - (d0 + d1 + (d2 + d3));', replace: 'const d = diag - (d0 + d1 + d2);', kind: 'dropped', why: 'one of the four partial sums of the Cholesky pivot is dropped: wrong factors for K > 3' },
  { id: 'cpu-woodbury-identity', file: 'src/cpu-engine/kernels.ts', find: 'M[j * K + l] = j === l ? s + 1 : s;', replace: 'M[j * K + l] = s;', kind: 'dropped', why: 'the identity of the Woodbury system is dropped: short rows (n < K) get wrong solutions' },
  { id: 'cpu-lambda-swap', file: 'src/cpu-engine/kernels.ts', find: 'A[a * K4 + a] += (a < rank ? job.lambda : job.lambdaBias) * scale;', replace: 'A[a * K4 + a] += (a < rank ? job.lambdaBias : job.lambda) * scale;', kind: 'operator', why: 'the factors get the bias regularization and the bias the factors\'' },
  { id: 'cpu-bias-target', file: 'src/cpu-engine/kernels.ts', find: 'T[j] = job.bias ? v - mu - Y[yo + yBias] : v - mu;', replace: 'T[j] = v - mu;', kind: 'dropped', why: 'the other side\'s bias is not subtracted from the target: biased ALS fits the wrong residual' },
  { id: 'cpu-implicit-target', file: 'src/cpu-engine/kernels.ts', find: 'T[j] = v > 0 ? 1 + job.alpha * v : 0;', replace: 'T[j] = v > 0 ? job.alpha * v : 0;', kind: 'dropped', why: 'implicit ALS loses the 1 of c p = (1 + alpha f) 1' },
  { id: 'cpu-last-row', file: 'src/cpu-engine/kernels.ts', find: 'const rEnd = Math.min(job.nRows, (c + 1) * job.chunk);', replace: 'const rEnd = Math.min(job.nRows - 1, (c + 1) * job.chunk);', kind: 'off-by-one', why: 'the last row of a side is never solved' },
  { id: 'cpu-sgd-lambda', file: 'src/cpu-engine/kernels.ts', find: 'X[xu + c] = w + lr * (e * h - lam * w);', replace: 'X[xu + c] = w + lr * (e * h);', kind: 'dropped', why: 'plain SGD stops regularizing the user factors' },
  { id: 'cpu-adagrad-mean', file: 'src/cpu-engine/kernels.ts', find: 'GU[2 * u] += tu0 / K0;', replace: 'GU[2 * u] += tu0;', kind: 'operator', why: 'AdaGrad accumulates the sum instead of the mean squared gradient (LIBMF\'s rule)' },
  { id: 'cpu-feistel', file: 'src/cpu-engine/kernels.ts', find: 'h = (h ^ (h >>> 13)) >>> 0;', replace: 'h = (h ^ (h >>> 12)) >>> 0;', kind: 'operator', why: 'Hogwild visits another order than the GPU and the reference (plan.ts)' },
  { id: 'cpu-gd-lambda', file: 'src/cpu-engine/kernels.ts', find: 'else New[at] = Old[at] + j.lr * (g[k] - (k >= j.rank ? j.lambdaBias : j.lambda) * Old[at]);', replace: 'else New[at] = Old[at] + j.lr * g[k];', kind: 'dropped', why: 'GD drops the regularization gradient' },
  { id: 'cpu-delta-diff', file: 'src/cpu-engine/kernels.ts', find: 'for (let k = 0; k < D.length; k++) D[k] = X[k] - P[k];', replace: 'for (let k = 0; k < D.length; k++) D[k] = X[k];', kind: 'dropped', why: 'the convergence quantity uses the factors instead of their change' },
  { id: 'wat-woodbury-identity', file: 'src/cpu-engine/engine.wat', find: "(select (f64.add (local.get $s) (f64.const 1)) (local.get $s) (i32.eq (local.get $j) (local.get $l)))", replace: "(local.get $s)", kind: 'dropped', why: "engine.wat drops the identity of the Woodbury system: short rows (n < K) get wrong solutions" },
  { id: 'wat-lambda-swap', file: 'src/cpu-engine/engine.wat', find: "(f64.store (local.get $o) (f64.add (f64.load (local.get $o))\n        (f64.mul (select (global.get $lam) (global.get $lamB)", replace: "(f64.store (local.get $o) (f64.add (f64.load (local.get $o))\n        (f64.mul (select (global.get $lamB) (global.get $lam)", kind: 'operator', why: "engine.wat gives the factors the bias regularization and the bias the factors'" },
  { id: 'wat-bias-target', file: 'src/cpu-engine/engine.wat', find: "(then (f64.sub (f64.sub (local.get $v) (global.get $mu)) (f64.promote_f32 (f32.load (i32.add (local.get $yo) (i32.shl (global.get $yBias) (i32.const 2)))))))", replace: "(then (f64.sub (local.get $v) (global.get $mu)))", kind: 'dropped', why: "engine.wat does not subtract the other side's bias from the target: biased ALS fits the wrong residual" },
  { id: 'wat-chol-partial', file: 'src/cpu-engine/engine.wat', find: "(f64.add (f64.add (local.get $d0) (f64x2.extract_lane 1 (local.get $a)))", replace: "(f64.add (f64.add (local.get $d0) (f64.const 0))", kind: 'dropped', why: "engine.wat's Cholesky dot product drops one of its four partial sums: wrong factors for K > 1" },
  { id: 'wat-gather-odd', file: 'src/cpu-engine/engine.wat', find: "(if (i32.lt_u (local.get $t) (global.get $rank)) (then\n        (f64.store", replace: "(if (i32.lt_u (local.get $t) (i32.const 0)) (then\n        (f64.store", kind: 'off-by-one', why: "engine.wat does not gather the last factor column of an odd rank" },
  { id: 'wat-overflow', file: 'src/cpu-engine/engine.wat', find: "(if (i32.eqz (f64.le (f64.abs (local.get $m)) (f64.const 1e30))) (then (return (i32.const 2))))", replace: "", kind: 'skipped', why: "engine.wat stops checking the Gram diagonal for overflow: outliers give factors instead of the float-overflow error" },
  { id: 'wat-sgd-lambda', file: 'src/cpu-engine/engine.wat', find: "(local.set $gw (f64x2.sub (f64x2.mul (local.get $ev) (local.get $h)) (f64x2.mul (local.get $lv) (local.get $w))))", replace: "(local.set $gw (f64x2.mul (local.get $ev) (local.get $h)))", kind: 'dropped', why: "engine.wat's SGD stops regularizing the user factors" },
  { id: 'wat-adagrad-mean', file: 'src/cpu-engine/engine.wat', find: "(f64.div (local.get $tu0) (local.get $k0))", replace: "(local.get $tu0)", kind: 'operator', why: "engine.wat's AdaGrad accumulates the sum instead of the mean squared gradient (LIBMF's rule)" },
  { id: 'wat-feistel', file: 'src/cpu-engine/engine.wat', find: "(local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))", replace: "(local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 12))))", kind: 'operator', why: "engine.wat's Hogwild visits another order than the GPU and the reference (plan.ts)" },
  { id: 'wat-residual-square', file: 'src/cpu-engine/engine.wat', find: "(local.set $sse (f64.add (local.get $sse) (f64.mul (local.get $e) (local.get $e))))", replace: "(local.set $sse (f64.add (local.get $sse) (f64.abs (local.get $e))))", kind: 'operator', why: "engine.wat's training loss sums |e| instead of e^2: wrong RMSE and stop rule" },
  { id: 'wat-sgd-tail', file: 'src/cpu-engine/engine.wat', find: "(if (i32.lt_u (local.get $c) (local.get $c1)) (then", replace: "(if (i32.lt_u (local.get $c) (i32.const 0)) (then", kind: 'off-by-one', why: "engine.wat's SGD never updates the last column of an odd-width group" },
  { id: 'cpu-adagrad-restore', file: 'src/cpu-engine/sgd.ts', find: 'this.copies = new HostCopies(this.GU && this.GI ? [this.X, this.Y, this.GU, this.GI] : [this.X, this.Y]);', replace: 'this.copies = new HostCopies([this.X, this.Y]);', kind: 'dropped', why: 'a rolled-back SGD epoch keeps the AdaGrad accumulators of the epoch undone: the retried epoch takes smaller steps than the one it replaces' },
  { id: 'cpu-js-overflow', file: 'src/cpu-engine/kernels.ts', find: 'if (!(d <= OVERFLOW_LIMIT) || !(Math.abs(bt) <= OVERFLOW_LIMIT)) big = true;', replace: '', kind: 'skipped', why: 'the JS Woodbury path stops checking for overflow: short rows with outlier ratings get factors instead of the float-overflow error' },
  { id: 'cpu-wasm-last-row', file: 'src/cpu-engine/kernels.ts', find: 'const rEnd = Math.min((c + 1) * job.chunk, job.nRows);', replace: 'const rEnd = Math.min((c + 1) * job.chunk, job.nRows - 1);', kind: 'off-by-one', why: 'engine.wat never solves the last row of a side' },
  { id: 'cpu-wasm-delta-diff', file: 'src/cpu-engine/kernels.ts', find: 'P2[i * S4 + c] = x - p;', replace: 'P2[i * S4 + c] = x;', kind: 'dropped', why: 'the convergence quantity on engine.wat uses the factors instead of their change' },
  { id: 'cpu-wasm-delta-upper', file: 'src/cpu-engine/kernels.ts', find: 'for (let a = 0; a < S; a++) for (let c = 0; c < a; c++) G[1][c * S + a] += A[a * S4 + c];', replace: 'for (let a = 0; a < S; a++) for (let c = 0; c < a; c++) G[1][a * S + c] += A[a * S4 + c];', kind: 'index', why: 'the upper triangle of the convergence quantity\'s cross Gram lands in its lower one' },
  { id: 'wat-gram-block-carry', file: 'src/cpu-engine/engine.wat', find: '(if (i32.eqz (local.get $j0))', replace: '(if (i32.const 1)', kind: 'dropped', why: 'engine.wat\'s blocked Gram restarts its sums at every block of 32 rows: rows with more than 32 ratings lose all but their last block' },
  { id: 'wat-implicit-target', file: 'src/cpu-engine/engine.wat', find: '(select (f64.add (f64.const 1) (f64.mul (global.get $alpha) (local.get $v))) (f64.const 0) (f64.gt (local.get $v) (f64.const 0)))', replace: '(select (f64.mul (global.get $alpha) (local.get $v)) (f64.const 0) (f64.gt (local.get $v) (f64.const 0)))', kind: 'dropped', why: 'engine.wat\'s implicit ALS loses the 1 of c p = (1 + alpha f) 1' },
  { id: 'cpu-residual-split', file: 'src/cpu-engine/pool.ts', find: 'k1: shared ? Math.floor(((t + 1) * n) / T) : n', replace: 'k1: shared ? Math.floor(((t + 1) * n) / T) - 1 : n', kind: 'off-by-one', why: 'one rating per worker is left out of the training and validation RMSE' },
];
