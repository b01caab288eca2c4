/**
 * A CSR matrix on the device, with the segment plan the normal-equation build uses: every row is
 * cut into segments of at most `chunk` entries, so one very long row (an item with 50,000 ratings)
 * becomes many workgroups whose partial sums are reduced afterwards.
 */
import type { GpuContext } from '../gpu/context.ts';
import type { Csr } from '../data/ratings.ts';

export const DEFAULT_CHUNK = 1024;

export interface DeviceCsr {
  label: string;
  nRows: number;
  nCols: number;
  nnz: number;
  host: Csr;
  idx: GPUBuffer;
  val: GPUBuffer;
  /** Entries per row (u32). */
  counts: GPUBuffer;
  /** First segment of each row (nRows + 1, u32). */
  rowSeg: GPUBuffer;
  /** (row, start, end, 0) per segment. */
  segs: GPUBuffer;
  /** Host copy of rowSeg, for batch planning. */
  rowSegHost: Uint32Array;
  nSegs: number;
  chunk: number;
}

export function planSegments(indptr: Uint32Array, chunk: number): { rowSeg: Uint32Array; segs: Uint32Array } {
  const nRows = indptr.length - 1;
  const rowSeg = new Uint32Array(nRows + 1);
  let total = 0;
  for (let r = 0; r < nRows; r++) {
    rowSeg[r] = total;
    total += Math.ceil((indptr[r + 1] - indptr[r]) / chunk);
  }
  rowSeg[nRows] = total;
  const segs = new Uint32Array(Math.max(1, total) * 4);
  let s = 0;
  for (let r = 0; r < nRows; r++) {
    for (let p = indptr[r]; p < indptr[r + 1]; p += chunk) {
      segs[s * 4] = r;
      segs[s * 4 + 1] = p;
      segs[s * 4 + 2] = Math.min(p + chunk, indptr[r + 1]);
      s++;
    }
  }
  return { rowSeg, segs };
}

export function uploadCsr(gpu: GpuContext, label: string, csr: Csr, chunk = DEFAULT_CHUNK): DeviceCsr {
  const counts = new Uint32Array(csr.nRows);
  for (let r = 0; r < csr.nRows; r++) counts[r] = csr.indptr[r + 1] - csr.indptr[r];
  const { rowSeg, segs } = planSegments(csr.indptr, chunk);
  return {
    label,
    nRows: csr.nRows,
    nCols: csr.nCols,
    nnz: csr.indices.length,
    host: csr,
    idx: gpu.storage(`${label}.indices`, csr.indices),
    val: gpu.storage(`${label}.values`, csr.values),
    counts: gpu.storage(`${label}.counts`, counts),
    rowSeg: gpu.storage(`${label}.rowSeg`, rowSeg),
    segs: gpu.storage(`${label}.segments`, segs),
    rowSegHost: rowSeg,
    nSegs: rowSeg[csr.nRows],
    chunk,
  };
}

export function destroyCsr(c: DeviceCsr): void {
  for (const b of [c.idx, c.val, c.counts, c.rowSeg, c.segs]) b.destroy();
}
