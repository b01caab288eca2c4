/**
 * Zip archives built by hand for the reader tests: ZIP64 headers (which fflate's writer does not emit), claimed sizes
 * that lie, and maximally compressed runs of newlines written directly as deflate.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { deflateSync } from 'fflate';

export interface ZipPart {
  name: string;
  /** Raw deflate stream (method 8) or stored bytes (method 0). */
  data: Uint8Array;
  method: 0 | 8;
  crc: number;
  size: number;
  /** Size to claim in the headers instead of `size`. */
  claimedSize?: number;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** An LSB-first bit writer for hand-made deflate streams (RFC 1951). */
class Bits {
  private out: number[] = [];
  private zeros: { at: number; n: number }[] = [];
  private cur = 0;
  private n = 0;
  /** `len` bits of `v`, least significant first (header fields, extra bits). */
  put(v: number, len: number): void {
    for (let k = 0; k < len; k++) this.bit((v >> k) & 1);
  }
  /** A Huffman code of `len` bits, most significant first. */
  code(c: number, len: number): void {
    for (let k = len - 1; k >= 0; k--) this.bit((c >> k) & 1);
  }
  bit(b: number): void {
    this.cur |= b << this.n;
    if (++this.n === 8) this.flushByte();
  }
  /** `count` zero bits, fast: whole zero bytes are recorded as a run, not pushed one by one. */
  zeroBits(count: number): void {
    while (count > 0 && this.n !== 0) {
      this.bit(0);
      count--;
    }
    const bytes = Math.floor(count / 8);
    if (bytes) this.zeros.push({ at: this.out.length, n: bytes });
    for (let k = 0; k < count % 8; k++) this.bit(0);
  }
  align(): void {
    if (this.n) this.flushByte();
  }
  bytes(b: Uint8Array): void {
    this.align();
    for (const x of b) this.out.push(x);
  }
  private flushByte(): void {
    this.out.push(this.cur);
    this.cur = 0;
    this.n = 0;
  }
  finish(): Uint8Array {
    this.align();
    const total = this.out.length + this.zeros.reduce((a, z) => a + z.n, 0);
    const res = new Uint8Array(total);
    let o = 0;
    let i = 0;
    for (const z of this.zeros) {
      for (; i < z.at; i++) res[o++] = this.out[i];
      o += z.n;
    }
    for (; i < this.out.length; i++) res[o++] = this.out[i];
    return res;
  }
}

function stored(w: Bits, data: Uint8Array, final: boolean): void {
  if (data.length > 65535) throw new Error('stored block over 64 KiB');
  w.put(final ? 1 : 0, 1);
  w.put(0, 2);
  w.align();
  w.bytes(new Uint8Array([data.length & 0xff, data.length >> 8, ~data.length & 0xff, (~data.length >> 8) & 0xff]));
  w.bytes(data);
}

/**
 * A maximally compressed deflate stream of `head`, then `count` newlines, then `last`: the newlines are one dynamic
 * Huffman block whose length-258 code and distance-1 code are one bit each, so every 258 newlines cost 2 bits — the
 * 1032:1 ratio of zlib's level 9 on such input, written directly instead of compressed for seconds. `head` and `last`
 * are stored blocks. Returns the stream, the CRC-32 and the size of what it inflates to.
 */
export function deflateNewlines(head: Uint8Array, count: number, last: Uint8Array): { data: Uint8Array; crc: number; size: number } {
  const w = new Bits();
  stored(w, head, false);
  if (count > 0) {
    w.put(0, 1);
    w.put(2, 2); // dynamic Huffman
    w.put(286 - 257, 5); // HLIT: literal/length codes 0..285
    w.put(0, 5); // HDIST: one distance code
    w.put(18 - 4, 4); // HCLEN: code-length codes up to the 18th in the order below
    const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
    for (const sym of order) w.put(sym === 1 || sym === 2 || sym === 17 || sym === 18 ? 2 : 0, 3);
    // Code-length codes (all 2 bits, canonical by symbol): 1 -> 00, 2 -> 01, 17 -> 10, 18 -> 11.
    w.code(2, 2); w.put(10 - 3, 3); // 17: zeros for symbols 0..9
    w.code(1, 2); // length 2 for symbol 10 ('\n')
    w.code(3, 2); w.put(138 - 11, 7); // 18: zeros for 11..148
    w.code(3, 2); w.put(107 - 11, 7); // 18: zeros for 149..255
    w.code(1, 2); // length 2 for 256 (end of block)
    w.code(3, 2); w.put(28 - 11, 7); // 18: zeros for 257..284
    w.code(0, 2); // length 1 for 285 (length 258)
    w.code(0, 2); // distance code 0 (distance 1): length 1
    // Literal/length codes, canonical: 285 -> 0, 10 -> 10, 256 -> 11. Distance 0 -> 0.
    w.code(2, 2); // one literal newline
    const matches = Math.floor((count - 1) / 258);
    w.zeroBits(2 * matches); // each match: 285 (0) + distance 1 (0)
    for (let k = 1 + matches * 258; k < count; k++) w.code(2, 2);
    w.code(3, 2); // end of block
  }
  stored(w, last, true);
  let crc = zlibCrc32(head);
  const nl = new Uint8Array(Math.min(count, 1 << 20)).fill(10);
  for (let left = count; left > 0; left -= nl.length) crc = zlibCrc32(left >= nl.length ? nl : nl.subarray(0, left), crc);
  crc = zlibCrc32(last, crc);
  return { data: w.finish(), crc: crc >>> 0, size: head.length + count + last.length };
}

/** A deflate stream of `data` compressed by fflate at level 9, with its CRC-32 and size. */
export function deflated(data: Uint8Array): { data: Uint8Array; crc: number; size: number } {
  return { data: deflateSync(data, { level: 9 }), crc: zlibCrc32(data) >>> 0, size: data.length };
}

/** A ZIP64 archive (ZIP64 extra fields in the local and central headers, ZIP64 end records). */
export function zip64(parts: ZipPart[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const p of parts) {
    const name = enc.encode(p.name);
    const claimed = p.claimedSize ?? p.size;
    const local = new DataView(new ArrayBuffer(30 + name.length + 20));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 45, true);
    local.setUint16(8, p.method, true);
    local.setUint32(14, p.crc, true);
    local.setUint32(18, 0xffffffff, true);
    local.setUint32(22, 0xffffffff, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 20, true);
    new Uint8Array(local.buffer).set(name, 30);
    local.setUint16(30 + name.length, 1, true);
    local.setUint16(32 + name.length, 16, true);
    local.setBigUint64(34 + name.length, BigInt(claimed), true);
    local.setBigUint64(42 + name.length, BigInt(p.data.length), true);
    const cd = new DataView(new ArrayBuffer(46 + name.length + 28));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 45, true);
    cd.setUint16(6, 45, true);
    cd.setUint16(10, p.method, true);
    cd.setUint32(16, p.crc, true);
    cd.setUint32(20, 0xffffffff, true);
    cd.setUint32(24, 0xffffffff, true);
    cd.setUint16(28, name.length, true);
    cd.setUint16(30, 28, true);
    cd.setUint32(42, 0xffffffff, true);
    new Uint8Array(cd.buffer).set(name, 46);
    cd.setUint16(46 + name.length, 1, true);
    cd.setUint16(48 + name.length, 24, true);
    cd.setBigUint64(50 + name.length, BigInt(claimed), true);
    cd.setBigUint64(58 + name.length, BigInt(p.data.length), true);
    cd.setBigUint64(66 + name.length, BigInt(offset), true);
    chunks.push(new Uint8Array(local.buffer), p.data);
    central.push(new Uint8Array(cd.buffer));
    offset += local.byteLength + p.data.length;
  }
  const cdBytes = concat(central);
  const end = new DataView(new ArrayBuffer(56 + 20 + 22));
  end.setUint32(0, 0x06064b50, true);
  end.setBigUint64(4, 44n, true);
  end.setUint16(12, 45, true);
  end.setUint16(14, 45, true);
  end.setBigUint64(24, BigInt(parts.length), true);
  end.setBigUint64(32, BigInt(parts.length), true);
  end.setBigUint64(40, BigInt(cdBytes.length), true);
  end.setBigUint64(48, BigInt(offset), true);
  end.setUint32(56, 0x07064b50, true);
  end.setBigUint64(64, BigInt(offset + cdBytes.length), true);
  end.setUint32(72, 1, true);
  end.setUint32(76, 0x06054b50, true);
  end.setUint16(84, 0xffff, true);
  end.setUint16(86, 0xffff, true);
  end.setUint32(88, 0xffffffff, true);
  end.setUint32(92, 0xffffffff, true);
  return concat([...chunks, cdBytes, new Uint8Array(end.buffer)]);
}
