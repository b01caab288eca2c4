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
  { id: 'cpu-residual-split', file: 'src/cpu-engine/pool.ts', find: 'k1: shared ? Math.floor(((t + 1) * n) / T) : n', replace: 'k1: shared ? Math.floor(((t + 1) * n) / T) - 1 : n', kind: 'off-by-one', why: 'one rating per worker is left out of the training and validation RMSE' },
];
