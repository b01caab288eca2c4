/**
 * A CSR matrix on the device, with the segment plan the normal-equation build uses: every row is
 * cut into segments of at most `chunk` entries, so one very long row (an item with 50,000 ratings)
 * becomes many workgroups whose partial sums are reduced afterwards.
 *
 * Indices and values are stored in *storage chunks*: runs of whole rows whose arrays each fit
 * min(maxStorageBufferBindingSize, maxBufferSize) (GpuContext.maxStorageBytes). A solve batch never
 * spans two chunks, and the segments' (start, end) are positions inside their row's chunk, so a
 * kernel binds one chunk's arrays and reads them exactly as it would read the whole matrix. Below the
 * limit there is one chunk and the positions are the global ones.
 */
import type { GpuContext } from '../gpu/context.ts';
import type { Csr } from '../data/ratings.ts';
import { LimitError } from '../core/errors.ts';

/** Whole rows [row0, row1) with entries [entry0, entry1), in buffers of their own. */
export interface CsrChunk {
  row0: number;
  row1: number;
  entry0: number;
  entry1: number;
  idx: GPUBuffer;
  val: GPUBuffer;
}

/**
 * Cuts rows into runs of at most `maxEntries` entries (greedy, whole rows; at least one run). A row
 * longer than `maxEntries` cannot be bound at once: a LimitError naming the row and the limit.
 */
export function planChunks(indptr: Uint32Array, maxEntries: number, what = 'row'): { row0: number; row1: number; entry0: number; entry1: number }[] {
  const nRows = indptr.length - 1;
  const out: { row0: number; row1: number; entry0: number; entry1: number }[] = [];
  let r0 = 0;
  while (r0 < nRows || out.length === 0) {
    let r1 = r0;
    while (r1 < nRows && indptr[r1 + 1] - indptr[r0] <= maxEntries) r1++;
    if (r1 === r0 && r0 < nRows) {
      const n = indptr[r0 + 1] - indptr[r0];
      throw new LimitError(`${what} ${r0} has ${n} entries; one row's indices must fit one storage binding`, 'maxStorageBufferBindingSize', n * 4, maxEntries * 4);
    }
    out.push({ row0: r0, row1: r1, entry0: indptr[r0] ?? 0, entry1: indptr[r1] ?? 0 });
    if (r1 >= nRows) break;
    r0 = r1;
  }
  return out;
}

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
  /** Storage chunks of idx/val (one when the arrays fit a binding); `idx`, `val` are chunk 0's. */
  chunks: CsrChunk[];
  /** Chunk index of every row (host copy, for batch planning). */
  rowChunk: Uint32Array;
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

/** Uploads `csr` in storage chunks of at most `maxChunkBytes` per array (default: the device's binding limit). */
export function uploadCsr(gpu: GpuContext, label: string, csr: Csr, chunk = DEFAULT_CHUNK, maxChunkBytes = gpu.maxStorageBytes): DeviceCsr {
  const counts = new Uint32Array(csr.nRows);
  for (let r = 0; r < csr.nRows; r++) counts[r] = csr.indptr[r + 1] - csr.indptr[r];
  const plan = planChunks(csr.indptr, Math.floor(maxChunkBytes / 4), `${label} row`);
  const { rowSeg, segs } = planSegments(csr.indptr, chunk);
  const rowChunk = new Uint32Array(csr.nRows);
  plan.forEach((c, k) => rowChunk.fill(k, c.row0, c.row1));
  if (plan.length > 1) {
    // segment positions relative to the start of their row's chunk
    for (let s = 0; s < rowSeg[csr.nRows]; s++) {
      const e0 = plan[rowChunk[segs[s * 4]]].entry0;
      segs[s * 4 + 1] -= e0;
      segs[s * 4 + 2] -= e0;
    }
  }
  const made: GPUBuffer[] = [];
  const mk = (role: string, data: ArrayBufferView): GPUBuffer => {
    const b = gpu.storage(`${label}.${role}`, data);
    made.push(b);
    return b;
  };
  try {
    const chunks = plan.map((c, k): CsrChunk => {
      const tag = plan.length > 1 ? `[${k}]` : '';
      return {
        ...c,
        idx: mk(`indices${tag}`, csr.indices.subarray(c.entry0, c.entry1)),
        val: mk(`values${tag}`, csr.values.subarray(c.entry0, c.entry1)),
      };
    });
    return {
      label,
      nRows: csr.nRows,
      nCols: csr.nCols,
      nnz: csr.indices.length,
      host: csr,
      idx: chunks[0].idx,
      val: chunks[0].val,
      chunks,
      rowChunk,
      counts: mk('counts', counts),
      rowSeg: mk('rowSeg', rowSeg),
      segs: mk('segments', segs),
      rowSegHost: rowSeg,
      nSegs: rowSeg[csr.nRows],
      chunk,
    };
  } catch (e) {
    for (const b of made) b.destroy();
    throw e;
  }
}

export function destroyCsr(c: DeviceCsr): void {
  for (const ch of c.chunks) {
    ch.idx.destroy();
    ch.val.destroy();
  }
  for (const b of [c.counts, c.rowSeg, c.segs]) b.destroy();
}
