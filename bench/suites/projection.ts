/**
 * Projection (NOT a measurement): analytic FLOPs and bytes per iteration of each algorithm on the
 * full ml-1m, ml-25m and Netflix shapes, and the roofline time max(FLOPs / peak, bytes / bandwidth)
 * on a named consumer and datacenter GPU (datasheet peaks) and on this adapter's calibrated peaks.
 * A roofline is a lower bound: real kernels reach a fraction of it (the Kernels suite measures
 * that fraction here).
 */
import { PROJECTION_DEVICES, iterationWork, roofline, type Algorithm } from '../lib/roofline.ts';
import { SHAPES } from '../lib/synth.ts';
import { peakGbps, peakGflops, type BenchResults, type CalibrationResult, type FitRow, type ProjectionRow } from '../lib/types.ts';

const ALGOS: Algorithm[] = ['als', 'als-cg', 'ials', 'ials-cg', 'sgd-hogwild', 'sgd-stratified'];
const NETFLIX = { name: 'netflix', nUsers: 480_189, nItems: 17_770, nnz: 100_480_507 };

export function runProjection(cal: CalibrationResult | undefined, fits: FitRow[] = [], ranks = [16, 64, 128]): NonNullable<BenchResults['projection']> {
  const devices = [...PROJECTION_DEVICES];
  const here = cal ? { name: 'this adapter (calibrated peaks)', gflops: peakGflops(cal), gbps: peakGbps(cal), source: 'Calibration suite' } : null;
  const rows: ProjectionRow[] = [];
  for (const shape of [SHAPES['ml-1m'], SHAPES['ml-25m'], NETFLIX]) {
    for (const rank of ranks) {
      for (const algo of ALGOS) {
        const work = iterationWork(algo, { nUsers: shape.nUsers, nItems: shape.nItems, nnz: shape.nnz, rank });
        for (const d of here ? [...devices, here] : devices) {
          rows.push({ shape: shape.name, algo, rank, work, device: d.name, projected: roofline(work, d) });
        }
      }
    }
  }
  // how far this adapter's measured fits are from its own roofline
  const measuredHere = here
    ? fits
        .filter((f) => f.backend === 'gpu' && !f.error && Number.isFinite(f.secPerIter.median))
        .map((f) => ({ algo: f.algo, shape: f.dataset, measuredSec: f.secPerIter.median, rooflineSec: roofline(f.work, here).seconds }))
    : undefined;
  return { rows, devices: here ? [...devices, here] : devices, ...(measuredHere ? { measuredHere } : {}) };
}
