/**
 * Messages between the page and the reader worker (reader-worker.ts), and the packing that lets the typed arrays be
 * transferred (moved, not copied) back to the page.
 */
import { InputError } from '../core/errors.ts';
import type { ItemMeta } from './dataset.ts';
import { IdMap, type ExternalId } from './ratings.ts';
import type { ReadProgress as ParseProgress } from './parse.ts';
import type { LoadedDataset, ReadOptions, ReadReport } from './read.ts';

/** ReadOptions that survive structured cloning (no callbacks, no signal: those stay on the page). */
export type WorkerReadOptions = Omit<ReadOptions, 'onProgress' | 'signal' | 'users' | 'items' | 'itemMeta' | 'parts'> & {
  itemMeta?: { source: Blob | ArrayBuffer; fileName: string };
};

export type ToWorker =
  | { type: 'read'; id: number; source: Blob | ArrayBuffer | ReadableStream<Uint8Array>; options: WorkerReadOptions }
  | { type: 'abort'; id: number };

export interface PackedDataset {
  name: string;
  users: Int32Array;
  items: Int32Array;
  values: Float32Array;
  timestamps?: Float64Array;
  nUsers: number;
  nItems: number;
  userIds: ExternalId[];
  itemIds: ExternalId[];
  scale?: [number, number];
  implicit?: boolean;
  meta?: { titles: string[]; genres?: string[][]; years?: Float64Array };
  report: ReadReport;
}

export type FromWorker =
  | { type: 'progress'; id: number; progress: ParseProgress }
  | { type: 'done'; id: number; dataset: PackedDataset }
  | { type: 'error'; id: number; error: { name: string; message: string } };

/** Packs a dataset for postMessage; returns it with the list of buffers to transfer. */
export function packDataset(ds: LoadedDataset): { packed: PackedDataset; transfer: ArrayBuffer[] } {
  const r = ds.ratings;
  const packed: PackedDataset = {
    name: ds.name,
    users: r.users,
    items: r.items,
    values: r.values,
    nUsers: r.nUsers,
    nItems: r.nItems,
    userIds: ds.users.ids,
    itemIds: ds.items.ids,
    report: ds.report,
  };
  const transfer: ArrayBuffer[] = [r.users.buffer as ArrayBuffer, r.items.buffer as ArrayBuffer, r.values.buffer as ArrayBuffer];
  if (r.timestamps) {
    packed.timestamps = r.timestamps;
    transfer.push(r.timestamps.buffer as ArrayBuffer);
  }
  if (ds.scale) packed.scale = ds.scale;
  if (ds.implicit !== undefined) packed.implicit = ds.implicit;
  if (ds.items_meta) {
    packed.meta = { titles: ds.items_meta.titles, genres: ds.items_meta.genres, years: ds.items_meta.years };
    if (ds.items_meta.years) transfer.push(ds.items_meta.years.buffer as ArrayBuffer);
  }
  return { packed, transfer: [...new Set(transfer)] };
}

/** Rebuilds the Dataset (with its IdMaps) from a packed one. */
export function unpackDataset(p: PackedDataset): LoadedDataset {
  if (p.users.length !== p.items.length || p.users.length !== p.values.length) throw new InputError('worker sent mismatched rating arrays');
  const ds: LoadedDataset = {
    name: p.name,
    ratings: { users: p.users, items: p.items, values: p.values, nUsers: p.nUsers, nItems: p.nItems },
    users: IdMap.from(p.userIds),
    items: IdMap.from(p.itemIds),
    report: p.report,
  };
  if (p.timestamps) ds.ratings.timestamps = p.timestamps;
  if (p.scale) ds.scale = p.scale;
  if (p.implicit !== undefined) ds.implicit = p.implicit;
  if (p.meta) ds.items_meta = p.meta as ItemMeta;
  return ds;
}
