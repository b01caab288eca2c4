/**
 * LIBMF's text model format, both ways.
 *
 *   f <loss code>     m <rows>     n <columns>     k <factors>     b <global bias>
 *   p0 T v1 v2 ... vk       (one line per row; "F" marks a row LIBMF never saw: factors NaN, predicts b)
 *   q0 T v1 v2 ... vk
 *
 * LIBMF predicts p_u . q_v (b only for unseen/out-of-range rows). A webmf model with biases exports
 * exactly through the augmented vectors: user [w, b_u + mu, 1], item [h, 1, b_i], so p.q = mu + b_u +
 * b_i + w.h. Imports become bias-free webmf models with p as user and q as item factors; rows marked
 * "F" get zero factors (webmf has no per-row NaN), and LIBMF's row/column indices become the dense
 * indices (LIBMF keeps no external IDs).
 */
import { InputError } from '../core/errors.ts';
import { f32Problem } from '../data/parse.ts';
import type { FactorModelData } from './types.ts';
import { Model } from './model.ts';

/** LIBMF loss codes whose prediction is a real score (binary-classification codes 5..7 predict a sign). */
const REAL_LOSSES = new Set([0, 1, 2, 10, 11, 12]);
const MAX_DIM = 0x7fffffff;

function fmt(v: number): string {
  // 9 significant digits round-trip any float32
  const s = v.toPrecision(9);
  return String(Number(s));
}

/** LIBMF text of a model (dense indices; its ID maps are not part of the format). */
export function toLibmf(model: Model | FactorModelData): string {
  const d = model instanceof Model ? model.toData() : model;
  const { rank, stride, nUsers, nItems } = d;
  const extraMu = !d.bias && d.mu !== 0;
  const k = d.bias ? stride : extraMu ? rank + 1 : rank;
  const loss = d.implicit ? 12 : 0;
  const lines: string[] = [`f ${loss}`, `m ${nUsers}`, `n ${nItems}`, `k ${k}`, `b ${fmt(d.mu)}`];
  const row = (F: Float32Array, r: number, side: 'p' | 'q'): string => {
    const v: number[] = [];
    for (let c = 0; c < stride; c++) v.push(F[r * stride + c]);
    if (d.bias && side === 'p') v[rank] = Math.fround(v[rank] + d.mu);
    if (extraMu) v.push(side === 'p' ? d.mu : 1);
    return `${side}${r} T ${v.map(fmt).join(' ')} `;
  };
  for (let u = 0; u < nUsers; u++) lines.push(row(d.userFactors, u, 'p'));
  for (let i = 0; i < nItems; i++) lines.push(row(d.itemFactors, i, 'q'));
  return lines.join('\n') + '\n';
}

/** A webmf model from LIBMF model text. Line numbers in errors are 1-based. */
export function fromLibmf(text: string): FactorModelData & { libmf: { loss: number; b: number; unseenUsers: number; unseenItems: number } } {
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let e = text.indexOf('\n', pos);
    if (e < 0) e = text.length;
    const line = text.slice(pos, e).replace(/\r$/, '');
    pos = e + 1;
    lineNo++;
    return line;
  };
  const err = (msg: string): never => {
    throw new InputError(`LIBMF model, line ${lineNo}: ${msg}`);
  };
  const head = (key: string): number => {
    const line = nextLine();
    if (line === null) err(`missing "${key}" line (truncated)`);
    const m = /^(\S+)\s+(\S+)\s*$/.exec(line!);
    if (!m || m[1] !== key) err(`expected "${key} <value>", got ${JSON.stringify(line!.slice(0, 60))}`);
    const v = Number(m![2]);
    if (!Number.isFinite(v)) err(`${key} is not a number: ${JSON.stringify(m![2])}`);
    const f32 = f32Problem(v);
    if (f32 && key === 'b') err(`b = ${m![2]} ${f32}`);
    return v;
  };
  const f = head('f');
  const m = head('m');
  const n = head('n');
  const k = head('k');
  const b = head('b');
  for (const [name, v, min] of [['f', f, 0], ['m', m, 0], ['n', n, 1], ['k', k, 1]] as const) {
    if (!Number.isInteger(v) || v < min || v > MAX_DIM) throw new InputError(`LIBMF model: ${name} = ${v} is not a valid size`);
  }
  if (!REAL_LOSSES.has(f)) throw new InputError(`LIBMF model: loss code ${f} is a binary-classification loss (predictions are signs); webmf imports real-valued and one-class models (codes 0, 1, 2, 10, 11, 12)`);
  // Every value takes at least 2 characters ("0 "): a header claiming more rows than the text can
  // hold is truncated or crafted; refuse before allocating.
  const need = (m + n) * (k * 2 + 4);
  if (need > text.length - pos + 1) throw new InputError(`LIBMF model: header claims ${m} x ${k} + ${n} x ${k} factors but the file has only ${text.length} characters (truncated?)`);
  const readSide = (prefix: 'p' | 'q', rows: number): { F: Float32Array; unseen: number } => {
    const F = new Float32Array(rows * k);
    let unseen = 0;
    for (let r = 0; r < rows; r++) {
      const line = nextLine();
      if (line === null) err(`missing ${prefix}${r} (truncated)`);
      const parts = line!.trim().split(/\s+/);
      if (parts[0] !== `${prefix}${r}`) err(`expected row ${prefix}${r}, got ${JSON.stringify(parts[0])}`);
      if (parts[1] !== 'T' && parts[1] !== 'F') err(`row ${prefix}${r}: flag ${JSON.stringify(parts[1])} is not T or F`);
      if (parts.length !== k + 2) err(`row ${prefix}${r} has ${parts.length - 2} values, expected ${k}`);
      if (parts[1] === 'F') {
        unseen++;
        continue;
      }
      for (let c = 0; c < k; c++) {
        const v = Number(parts[c + 2]);
        if (!Number.isFinite(v)) err(`row ${prefix}${r} value ${c + 1} is ${JSON.stringify(parts[c + 2])}`);
        const f32 = f32Problem(v);
        if (f32) err(`row ${prefix}${r} value ${c + 1} = ${parts[c + 2]} ${f32}`);
        F[r * k + c] = v;
      }
    }
    return { F, unseen };
  };
  const P = readSide('p', m);
  const Q = readSide('q', n);
  return {
    algo: 'sgd',
    rank: k,
    bias: false,
    implicit: f >= 10,
    stride: k,
    mu: 0,
    nUsers: m,
    nItems: n,
    userFactors: P.F,
    itemFactors: Q.F,
    hyperparams: { source: 'libmf', libmfLoss: f, libmfB: b },
    libmf: { loss: f, b, unseenUsers: P.unseen, unseenItems: Q.unseen },
  };
}
