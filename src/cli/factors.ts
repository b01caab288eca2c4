/**
 * Factor files: plain text, one row per line, values separated by spaces, rows in the order of first
 * appearance of the IDs in the training file (the dense index order). Columns: the rank latent
 * factors, then, for a model with biases, the row's bias (b_u or b_i). `--save-factors PREFIX`
 * writes PREFIX.users.txt, PREFIX.items.txt and the ID order beside them (PREFIX.user-ids.txt,
 * PREFIX.item-ids.txt, one ID per line); `--init-users/--init-items` read the same layout.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../model/node-io.ts';
import { InputError } from '../core/errors.ts';
import type { ExternalId } from '../data/ratings.ts';
import type { FactorModelData } from '../model/types.ts';
import { biasColumn, setConstantColumn, strideOf } from '../core/layout.ts';

function fmt(v: number): string {
  return String(Number(v.toPrecision(9)));
}

/** Text of one side's factors (rank columns, plus the bias column with biases). */
export function factorText(d: FactorModelData, side: 'user' | 'item'): string {
  const F = side === 'user' ? d.userFactors : d.itemFactors;
  const n = side === 'user' ? d.nUsers : d.nItems;
  const biasCol = side === 'user' ? d.rank : d.rank + 1;
  const lines: string[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const v: string[] = [];
    for (let c = 0; c < d.rank; c++) v.push(fmt(F[r * d.stride + c]));
    if (d.bias) v.push(fmt(F[r * d.stride + biasCol]));
    lines[r] = v.join(' ');
  }
  return lines.join('\n') + '\n';
}

export function writeFactorFiles(d: FactorModelData, prefix: string): string[] {
  const files = [`${prefix}.users.txt`, `${prefix}.items.txt`, `${prefix}.user-ids.txt`, `${prefix}.item-ids.txt`];
  const ids = (m: { ids: ExternalId[] } | undefined, n: number) => (m ? m.ids.map(String) : Array.from({ length: n }, (_, i) => String(i))).join('\n') + '\n';
  try {
    writeFileAtomic(files[0], factorText(d, 'user'));
    writeFileAtomic(files[1], factorText(d, 'item'));
    writeFileAtomic(files[2], ids(d.userIds, d.nUsers));
    writeFileAtomic(files[3], ids(d.itemIds, d.nItems));
  } catch (e) {
    throw new InputError(`cannot write factor files ${prefix}.*: ${(e as Error).message}`);
  }
  return files;
}

/**
 * Reads a factor file for a warm start into the engine's stride layout (rank, or rank + 2 with
 * biases: [w, b_u, 1] for users, [h, 1, b_i] for items). Accepts rank columns, or rank + 1 (with a
 * bias column) when the model has biases.
 */
export function readFactorFile(path: string, side: 'user' | 'item', rows: number, rank: number, bias: boolean): Float32Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const stride = strideOf(rank, bias);
  const X = new Float32Array(rows * stride);
  const lines = text.split('\n');
  let r = 0;
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (!line) continue;
    if (r >= rows) throw new InputError(`${path}:${ln + 1}: more than ${rows} rows (the training data has ${rows} ${side}s)`);
    const parts = line.split(/\s+/);
    const okCols = bias ? [rank, rank + 1] : [rank];
    if (!okCols.includes(parts.length)) throw new InputError(`${path}:${ln + 1}: ${parts.length} values, expected ${okCols.join(' or ')} (rank ${rank}${bias ? ' + bias' : ''})`);
    for (let c = 0; c < parts.length; c++) {
      const v = Number(parts[c]);
      if (!Number.isFinite(v)) throw new InputError(`${path}:${ln + 1}: value ${c + 1} is not a number: ${JSON.stringify(parts[c])}`);
      const col = c < rank ? c : biasColumn(rank, side);
      X[r * stride + col] = v;
    }
    r++;
  }
  if (r !== rows) throw new InputError(`${path}: ${r} rows, but the training data has ${rows} ${side}s`);
  setConstantColumn(X, rank, bias, side);
  return X;
}
