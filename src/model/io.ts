/**
 * The webmf model file: a versioned binary format that loads in the browser (ArrayBuffer) and in
 * Node (see node-io.ts).
 *
 *   bytes 0..7    magic "WEBMFMDL"
 *   bytes 8..11   u32 LE format version (1)
 *   bytes 12..15  u32 LE header length H
 *   bytes 16..19  u32 LE CRC-32 of the header bytes
 *   bytes 20..23  reserved (0)
 *   bytes 24..    H bytes of UTF-8 JSON header: algo, rank, bias, implicit, stride, mu, nUsers, nItems,
 *                 ratingScale, hyperparams, userIds, itemIds, biasColumns, and `blocks`: one entry
 *                 {name, type, offset, count, crc32} per data block
 *   then blocks, 8-byte aligned, little-endian: userFactors f32 (nUsers x stride), itemFactors f32
 *                 (nItems x stride) and optionally seenIndptr u32 (nUsers + 1), seenIndices u32.
 *   optional `ranking` header entry {algo, rank, bias, implicit, stride, mu, hyperparams} with blocks
 *                 rankingUserFactors, rankingItemFactors: the model recommend ranks by (ranking.ts).
 *                 Readers that predate it ignore both, and files without it load as before, so the
 *                 format version stays 1.
 *
 * Biases live in the factor rows (user row [w, b_u, 1], item row [h, 1, b_i]; see types.ts); the
 * header names their columns. Reading checks every size against the file length before allocating
 * anything, and the CRCs before trusting any value, so a truncated, corrupted or crafted file gives
 * a clear InputError, never a huge allocation.
 */
import { InputError } from '../core/errors.ts';
import { IdMap, type Csr, type ExternalId } from '../data/ratings.ts';
import type { Algo, FactorModelData } from './types.ts';
import { strideOf } from '../core/layout.ts';
import { crc32 } from '../data/zipcheck.ts';
import { Model, type ModelOptions } from './model.ts';

export const MAGIC = 'WEBMFMDL';
export const FORMAT_VERSION = 1;
const PREFIX = 24;
/** Sanity bounds a header must respect (far above any real model, far below a crafted 1e12). */
const MAX_ROWS = 0x7fffffff;
const MAX_RANK = 65536;
const ALGOS: Algo[] = ['als', 'ials', 'sgd', 'gd', 'baseline', 'popularity'];

interface BlockInfo {
  name: string;
  type: 'f32' | 'u32';
  offset: number;
  count: number;
  crc32: number;
}

interface Header {
  format: 'webmf-model';
  version: number;
  algo: Algo;
  rank: number;
  bias: boolean;
  implicit: boolean;
  stride: number;
  mu: number;
  nUsers: number;
  nItems: number;
  ratingScale?: [number, number];
  hyperparams: Record<string, number | string | boolean>;
  userIds?: ExternalId[];
  itemIds?: ExternalId[];
  biasColumns?: { user: number; item: number; userConst: number; itemConst: number };
  itemTitles?: string[];
  ranking?: { algo: Algo; rank: number; bias: boolean; implicit: boolean; stride: number; mu: number; hyperparams: Record<string, number | string | boolean> };
  blocks: BlockInfo[];
}

function littleEndian(): boolean {
  return new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
}

/** Serializes a model (its fold-in users and seen items included). */
export function encodeModel(model: Model | FactorModelData, seen?: Csr | null, itemTitles?: string[]): Uint8Array {
  if (!littleEndian()) throw new InputError('saving models on a big-endian host is not supported');
  const data = model instanceof Model ? model.toData() : model;
  const seenCsr = seen !== undefined ? seen : model instanceof Model ? model.seenAsCsr() : null;
  const arrays: [string, 'f32' | 'u32', Float32Array | Uint32Array][] = [
    ['userFactors', 'f32', data.userFactors],
    ['itemFactors', 'f32', data.itemFactors],
  ];
  if (seenCsr) {
    if (seenCsr.nRows !== data.nUsers) throw new InputError(`seen interactions have ${seenCsr.nRows} rows for ${data.nUsers} users`);
    arrays.push(['seenIndptr', 'u32', seenCsr.indptr], ['seenIndices', 'u32', seenCsr.indices]);
  }
  const rk = data.ranking;
  if (rk) arrays.push(['rankingUserFactors', 'f32', rk.userFactors], ['rankingItemFactors', 'f32', rk.itemFactors]);
  const blocks: BlockInfo[] = arrays.map(([name, type, a]) => ({ name, type, offset: 0, count: a.length, crc32: crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)) }));
  const header: Header = {
    format: 'webmf-model',
    version: FORMAT_VERSION,
    algo: data.algo,
    rank: data.rank,
    bias: data.bias,
    implicit: data.implicit,
    stride: data.stride,
    mu: data.mu,
    nUsers: data.nUsers,
    nItems: data.nItems,
    ratingScale: data.ratingScale,
    hyperparams: data.hyperparams,
    userIds: data.userIds?.ids,
    itemIds: data.itemIds?.ids,
    biasColumns: data.bias ? { user: data.rank, item: data.rank + 1, userConst: data.rank + 1, itemConst: data.rank } : undefined,
    itemTitles: itemTitles ?? (model instanceof Model ? model.itemTitles : undefined),
    ranking: rk ? { algo: rk.algo, rank: rk.rank, bias: rk.bias, implicit: rk.implicit, stride: rk.stride, mu: rk.mu, hyperparams: rk.hyperparams } : undefined,
    blocks,
  };
  // Offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed point.
  let json = '';
  let hbytes = new Uint8Array(0);
  for (let pass = 0; pass < 4; pass++) {
    json = JSON.stringify(header);
    hbytes = new TextEncoder().encode(json);
    let off = align8(PREFIX + hbytes.length);
    let changed = false;
    for (let b = 0; b < blocks.length; b++) {
      if (blocks[b].offset !== off) changed = true;
      blocks[b].offset = off;
      off = align8(off + blocks[b].count * 4);
    }
    if (!changed) break;
  }
  const last = blocks[blocks.length - 1];
  const total = last.offset + last.count * 4;
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, hbytes.length, true);
  dv.setUint32(16, crc32(hbytes), true);
  out.set(hbytes, PREFIX);
  arrays.forEach(([, , a], b) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), blocks[b].offset));
  return out;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

export interface DecodedModel {
  data: FactorModelData;
  seen: Csr | null;
  itemTitles?: string[];
}

function fail(what: string): never {
  throw new InputError(`not a valid webmf model: ${what}`);
}

function int(v: unknown, name: string, max: number, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`header field ${name} = ${JSON.stringify(v)} (expected an integer in [${min}, ${max}])`);
  return v;
}

/** Parses and checks a model file's bytes. */
export function decodeModel(input: ArrayBuffer | ArrayBufferView): DecodedModel {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length < PREFIX) fail(`file is ${bytes.length} bytes, shorter than the ${PREFIX}-byte prefix (truncated?)`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    const head = new TextDecoder().decode(bytes.subarray(0, 2));
    fail(`bad magic (expected "${MAGIC}")${head === 'f ' ? '; this looks like a LIBMF text model: import it with fromLibmf (loadModelFile and the CLI detect it)' : ''}`);
  }
  if (!littleEndian()) throw new InputError('loading models on a big-endian host is not supported');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) fail(`format version ${version} (this webmf reads version ${FORMAT_VERSION})`);
  const hlen = dv.getUint32(12, true);
  if (hlen > bytes.length - PREFIX) fail(`header claims ${hlen} bytes but the file has ${bytes.length - PREFIX} after the prefix (truncated)`);
  const hbytes = bytes.subarray(PREFIX, PREFIX + hlen);
  if (crc32(hbytes) !== dv.getUint32(16, true)) fail('header checksum mismatch (corrupted)');
  let h: Header;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hbytes)) as Header;
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!h || typeof h !== 'object' || h.format !== 'webmf-model') fail('header format tag missing');
  if (!ALGOS.includes(h.algo)) fail(`unknown algorithm ${JSON.stringify(h.algo)}`);
  const rank = int(h.rank, 'rank', MAX_RANK, 1);
  const nUsers = int(h.nUsers, 'nUsers', MAX_ROWS);
  const nItems = int(h.nItems, 'nItems', MAX_ROWS, 1);
  const stride = int(h.stride, 'stride', MAX_RANK + 2, 1);
  if (typeof h.bias !== 'boolean' || typeof h.implicit !== 'boolean') fail('header fields bias/implicit must be booleans');
  if (stride !== strideOf(rank, h.bias)) fail(`stride ${stride} does not match rank ${rank}${h.bias ? ' with biases' : ''}`);
  if (typeof h.mu !== 'number' || !Number.isFinite(h.mu)) fail(`global mean ${h.mu}`);
  if (h.ratingScale !== undefined && !(Array.isArray(h.ratingScale) && h.ratingScale.length === 2 && h.ratingScale.every(Number.isFinite) && h.ratingScale[0] <= h.ratingScale[1])) {
    fail(`rating scale ${JSON.stringify(h.ratingScale)}`);
  }
  if (!h.hyperparams || typeof h.hyperparams !== 'object') fail('hyperparams missing');
  if (!Array.isArray(h.blocks)) fail('block table missing');
  const block = (name: string, type: 'f32' | 'u32', count: number, required: boolean): Uint8Array | null => {
    const b = h.blocks.find((x) => x && x.name === name);
    if (!b) {
      if (required) fail(`block ${name} missing`);
      return null;
    }
    if (b.type !== type) fail(`block ${name} has type ${JSON.stringify(b.type)}, expected ${type}`);
    if (b.count !== count) fail(`block ${name} holds ${JSON.stringify(b.count)} values, expected ${count}`);
    const off = int(b.offset, `${name}.offset`, Number.MAX_SAFE_INTEGER, PREFIX + hlen);
    if (off % 4 !== 0) fail(`block ${name} offset ${off} is not 4-byte aligned`);
    const end = off + count * 4;
    if (end > bytes.length) fail(`block ${name} needs bytes ${off}..${end} but the file has ${bytes.length} (truncated)`);
    const raw = bytes.subarray(off, end);
    if (crc32(raw) !== b.crc32) fail(`block ${name} checksum mismatch (corrupted)`);
    return raw;
  };
  const ids = (v: unknown, n: number, what: string): IdMap | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length !== n) fail(`${what} ID list has ${Array.isArray(v) ? v.length : typeof v} entries for ${n} ${what}s`);
    const m = IdMap.from(v as ExternalId[]);
    if (m.size !== n) fail(`${what} ID list has duplicates`);
    return m;
  };
  if (h.itemTitles !== undefined && !(Array.isArray(h.itemTitles) && h.itemTitles.length === nItems && h.itemTitles.every((t) => typeof t === 'string'))) {
    fail(`item titles must be ${nItems} strings`);
  }
  const userIds = ids(h.userIds, nUsers, 'user');
  const itemIds = ids(h.itemIds, nItems, 'item');
  // Sizes are checked against the file inside block() before anything is copied.
  const uf = block('userFactors', 'f32', nUsers * stride, true)!;
  const itf = block('itemFactors', 'f32', nItems * stride, true)!;
  const indptrRaw = h.blocks.some((b) => b?.name === 'seenIndptr') ? block('seenIndptr', 'u32', nUsers + 1, true) : null;
  let seen: Csr | null = null;
  if (indptrRaw) {
    const indptr = new Uint32Array(indptrRaw.slice().buffer);
    const nnz = indptr[nUsers];
    const idxRaw = block('seenIndices', 'u32', nnz, true)!;
    const indices = new Uint32Array(idxRaw.slice().buffer);
    if (indptr[0] !== 0) fail('seen indptr does not start at 0');
    for (let u = 0; u < nUsers; u++) if (indptr[u + 1] < indptr[u]) fail(`seen indptr decreases at user ${u}`);
    for (let p = 0; p < nnz; p++) if (indices[p] >= nItems) fail(`seen item index ${indices[p]} out of range [0, ${nItems})`);
    seen = { nRows: nUsers, nCols: nItems, indptr, indices, values: new Float32Array(nnz).fill(1) };
  }
  let ranking: FactorModelData | undefined;
  if (h.ranking !== undefined) {
    const g = h.ranking;
    if (!g || typeof g !== 'object') fail('ranking entry is not an object');
    if (!ALGOS.includes(g.algo)) fail(`ranking model: unknown algorithm ${JSON.stringify(g.algo)}`);
    const rr = int(g.rank, 'ranking.rank', MAX_RANK, 1);
    const rs = int(g.stride, 'ranking.stride', MAX_RANK + 2, 1);
    if (typeof g.bias !== 'boolean' || typeof g.implicit !== 'boolean') fail('ranking fields bias/implicit must be booleans');
    if (rs !== (g.bias ? rr + 2 : rr)) fail(`ranking stride ${rs} does not match rank ${rr}${g.bias ? ' with biases' : ''}`);
    if (typeof g.mu !== 'number' || !Number.isFinite(g.mu)) fail(`ranking global mean ${g.mu}`);
    if (!g.hyperparams || typeof g.hyperparams !== 'object') fail('ranking hyperparams missing');
    const ru = block('rankingUserFactors', 'f32', nUsers * rs, true)!;
    const ri = block('rankingItemFactors', 'f32', nItems * rs, true)!;
    ranking = {
      algo: g.algo,
      rank: rr,
      bias: g.bias,
      implicit: g.implicit,
      stride: rs,
      mu: g.mu,
      nUsers,
      nItems,
      userFactors: new Float32Array(ru.slice().buffer),
      itemFactors: new Float32Array(ri.slice().buffer),
      hyperparams: g.hyperparams,
    };
  }
  const data: FactorModelData = {
    algo: h.algo,
    rank,
    bias: h.bias,
    implicit: h.implicit,
    stride,
    mu: h.mu,
    nUsers,
    nItems,
    userFactors: new Float32Array(uf.slice().buffer),
    itemFactors: new Float32Array(itf.slice().buffer),
    userIds,
    itemIds,
    ratingScale: h.ratingScale,
    hyperparams: h.hyperparams,
    ranking,
  };
  return { data, seen, itemTitles: h.itemTitles };
}

/** A Model from a model file's bytes (browser: `await (await fetch(url)).arrayBuffer()`). */
export function loadModel(input: ArrayBuffer | ArrayBufferView, opts: Omit<ModelOptions, 'seen'> = {}): Model {
  const { data, seen, itemTitles } = decodeModel(input);
  return new Model(data, { ...opts, seen: seen ?? undefined, itemTitles });
}

/** The model file's bytes. */
export function saveModel(model: Model): Uint8Array {
  return encodeModel(model);
}
