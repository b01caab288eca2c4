/**
 * Zip archive integrity check: every entry of the central directory is inflated (streaming, fflate) and its CRC-32
 * and size compared with the directory's. Used to verify downloads when no published checksum is at hand.
 */
import { Inflate } from 'fflate';
import { InputError } from '../core/errors.ts';

/** CRC-32 tables for slicing by 8 (eight bytes per step: ~4x the byte-at-a-time loop). */
const CRC_TABLES = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** Incremental CRC-32 (IEEE): start with crc = 0, feed chunks. */
export function crc32(data: Uint8Array, crc = 0): number {
  const T = CRC_TABLES;
  let c = ~crc;
  let i = 0;
  const n = data.length;
  const n8 = n - (n & 7);
  for (; i < n8; i += 8) {
    const lo = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    const hi = data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24);
    c =
      T[1792 + (lo & 0xff)] ^ T[1536 + ((lo >>> 8) & 0xff)] ^ T[1280 + ((lo >>> 16) & 0xff)] ^ T[1024 + (lo >>> 24)] ^
      T[768 + (hi & 0xff)] ^ T[512 + ((hi >>> 8) & 0xff)] ^ T[256 + ((hi >>> 16) & 0xff)] ^ T[hi >>> 24];
  }
  for (; i < n; i++) c = T[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export interface ZipEntryInfo {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/** Lists a zip's central directory (ZIP64 included). Throws InputError on a truncated or malformed archive. */
export function listZip(zip: Uint8Array, what = 'zip archive'): ZipEntryInfo[] {
  return readCentralDirectory(zip, 0, what);
}

/**
 * Reads the central directory from `tail`, the last bytes of an archive, which start at offset `base` of it (0 when
 * `tail` is the whole archive). Throws InputError when the directory is missing, malformed or not inside `tail`.
 */
export function readCentralDirectory(tail: Uint8Array, base: number, what = 'zip archive'): ZipEntryInfo[] {
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const len = tail.length;
  let eocd = -1;
  for (let p = len - 22; p >= Math.max(0, len - 22 - 65535); p--) {
    if (dv.getUint32(p, true) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw new InputError(`${what}: not a zip archive or truncated (no end-of-central-directory record)`);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOff = dv.getUint32(eocd + 16, true);
  if (cdOff === 0xffffffff || count === 0xffff || cdSize === 0xffffffff) {
    // ZIP64: the locator sits just before the end record and points at the ZIP64 end record.
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) throw new InputError(`${what}: ZIP64 end-of-central-directory locator missing`);
    const rec = Number(dv.getBigUint64(loc + 8, true)) - base;
    if (rec < 0 || rec + 56 > len || dv.getUint32(rec, true) !== 0x06064b50) throw new InputError(`${what}: bad ZIP64 end-of-central-directory record`);
    count = Number(dv.getBigUint64(rec + 32, true));
    cdSize = Number(dv.getBigUint64(rec + 40, true));
    cdOff = Number(dv.getBigUint64(rec + 48, true));
  }
  const start = cdOff - base;
  if (start < 0) throw new InputError(`${what}: central directory too large to check (${cdSize} bytes)`);
  if (start + cdSize > len) throw new InputError(`${what}: truncated (central directory runs past the end)`);
  const out: ZipEntryInfo[] = [];
  let p = start;
  const decoder = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (p + 46 > len || dv.getUint32(p, true) !== 0x02014b50) throw new InputError(`${what}: bad central directory entry ${k}`);
    const nameLen = dv.getUint16(p + 28, true);
    const extra = dv.getUint16(p + 30, true);
    const comment = dv.getUint16(p + 32, true);
    if (p + 46 + nameLen + extra > len) throw new InputError(`${what}: bad central directory entry ${k}`);
    const e: ZipEntryInfo = {
      method: dv.getUint16(p + 10, true),
      crc: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      offset: dv.getUint32(p + 42, true),
      name: decoder.decode(tail.subarray(p + 46, p + 46 + nameLen)),
    };
    // ZIP64 extended information (id 1): the 64-bit values of the fields set to 0xffffffff, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extra;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const size = dv.getUint16(x + 2, true);
      if (id === 1) {
        let q = x + 4;
        const take = (): number => {
          if (q + 8 > x + 4 + size) throw new InputError(`${what}: ${e.name}: bad ZIP64 extra field`);
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (e.size === 0xffffffff) e.size = take();
        if (e.compressedSize === 0xffffffff) e.compressedSize = take();
        if (e.offset === 0xffffffff) e.offset = take();
      }
      x += 4 + size;
    }
    out.push(e);
    p += 46 + nameLen + extra + comment;
  }
  return out;
}

/** Inflates every entry and checks CRC-32 and size; returns the entries. Throws InputError naming the bad entry. */
export function verifyZip(zip: Uint8Array, what = 'zip archive'): ZipEntryInfo[] {
  const entries = listZip(zip, what);
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (const e of entries) {
    if (e.offset + 30 > zip.length || dv.getUint32(e.offset, true) !== 0x04034b50) throw new InputError(`${what}: ${e.name}: bad local header`);
    const start = e.offset + 30 + dv.getUint16(e.offset + 26, true) + dv.getUint16(e.offset + 28, true);
    if (start + e.compressedSize > zip.length) throw new InputError(`${what}: ${e.name}: truncated data`);
    const data = zip.subarray(start, start + e.compressedSize);
    let crc = 0;
    let size = 0;
    if (e.method === 0) {
      crc = crc32(data);
      size = data.length;
    } else if (e.method === 8) {
      const inf = new Inflate((chunk) => {
        crc = crc32(chunk, crc);
        size += chunk.length;
      });
      try {
        const step = 1 << 20;
        for (let o = 0; o < data.length; o += step) inf.push(data.subarray(o, Math.min(data.length, o + step)), o + step >= data.length);
        if (data.length === 0) inf.push(new Uint8Array(0), true);
      } catch (err) {
        throw new InputError(`${what}: ${e.name}: corrupt deflate data (${(err as Error).message})`);
      }
    } else {
      throw new InputError(`${what}: ${e.name}: unsupported compression method ${e.method}`);
    }
    if (size !== e.size) throw new InputError(`${what}: ${e.name}: inflated to ${size} bytes, directory says ${e.size}`);
    if (crc !== e.crc) throw new InputError(`${what}: ${e.name}: CRC-32 ${crc.toString(16)} does not match ${e.crc.toString(16)}`);
  }
  return entries;
}
