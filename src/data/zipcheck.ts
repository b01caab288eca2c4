/**
 * Zip archive integrity check: every entry of the central directory is inflated (streaming, fflate) and its CRC-32
 * and size compared with the directory's. Used to verify downloads when no published checksum is at hand.
 */
import { Inflate } from 'fflate';
import { InputError } from '../gpu/errors.ts';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** Incremental CRC-32 (IEEE): start with crc = 0, feed chunks. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
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

/** Lists a zip's central directory. Throws InputError on a truncated or malformed archive. */
export function listZip(zip: Uint8Array, what = 'zip archive'): ZipEntryInfo[] {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let p = zip.length - 22; p >= Math.max(0, zip.length - 22 - 65535); p--) {
    if (dv.getUint32(p, true) === 0x06054b50) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw new InputError(`${what}: not a zip archive or truncated (no end-of-central-directory record)`);
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOff = dv.getUint32(eocd + 16, true);
  if (cdOff === 0xffffffff || count === 0xffff) throw new InputError(`${what}: ZIP64 archives are not supported by the integrity check`);
  if (cdOff + cdSize > zip.length) throw new InputError(`${what}: truncated (central directory runs past the end)`);
  const out: ZipEntryInfo[] = [];
  let p = cdOff;
  for (let k = 0; k < count; k++) {
    if (p + 46 > zip.length || dv.getUint32(p, true) !== 0x02014b50) throw new InputError(`${what}: bad central directory entry ${k}`);
    const nameLen = dv.getUint16(p + 28, true);
    const extra = dv.getUint16(p + 30, true);
    const comment = dv.getUint16(p + 32, true);
    out.push({
      method: dv.getUint16(p + 10, true),
      crc: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      offset: dv.getUint32(p + 42, true),
      name: new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen)),
    });
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
