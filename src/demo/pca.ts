/**
 * PCA of item factors for the Explore map: the rank x rank covariance of the chosen rows (f64),
 * its eigenvectors by cyclic Jacobi rotations (exact for the small symmetric matrices a rank gives),
 * and the rows projected on the top three components.
 */

/** Eigen-decomposition of a symmetric n x n matrix (row-major, copied). Values descending, vectors as columns. */
export function symmetricEigen(A0: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(A0);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => A[b * n + b] - A[a * n + a]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = A[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}

/** Projects rows `rows` of F (stride floats per row, first `rank` used) on the top 3 principal components. */
export function pca3(F: Float32Array, stride: number, rank: number, rows: Uint32Array): { coords: Float32Array; explained: number[] } {
  const n = rows.length;
  const mean = new Float64Array(rank);
  for (const r of rows) for (let c = 0; c < rank; c++) mean[c] += F[r * stride + c];
  for (let c = 0; c < rank; c++) mean[c] /= Math.max(1, n);
  const C = new Float64Array(rank * rank);
  const x = new Float64Array(rank);
  for (const r of rows) {
    for (let c = 0; c < rank; c++) x[c] = F[r * stride + c] - mean[c];
    for (let a = 0; a < rank; a++) for (let b = a; b < rank; b++) C[a * rank + b] += x[a] * x[b];
  }
  for (let a = 0; a < rank; a++) for (let b = a; b < rank; b++) C[b * rank + a] = C[a * rank + b] /= Math.max(1, n - 1);
  const { values, vectors } = symmetricEigen(C, rank);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0) || 1;
  const k = Math.min(3, rank);
  const coords = new Float32Array(n * 3);
  rows.forEach((r, j) => {
    for (let d = 0; d < k; d++) {
      let s = 0;
      for (let c = 0; c < rank; c++) s += (F[r * stride + c] - mean[c]) * vectors[c * rank + d];
      coords[j * 3 + d] = s;
    }
  });
  return { coords, explained: Array.from(values.subarray(0, k), (v) => Math.max(0, v) / total) };
}
