/**
 * The source's toy table and film factors, in one place: the demo's Learn tab, its "toy table"
 * data source, the GPU test fixture and the bench's toy fit all read these.
 *
 * | User  | Sholay | Swades | Batman | Interstellar | Shawshank |
 * | Alice |   5    |   4    |   2    |      3       |     2     |
 * | Bob   |   ?    |   5    |   1    |      4       |     ?     |
 * | Carol |   4    |   ?    |   1    |      5       |     ?     |
 *
 * H is rank 3, one column per film (rows: the source's three hidden traits). No DOM, no Node.
 */
import type { Ratings } from '../data/ratings.ts';

export const TOY_MOVIES = ['Sholay', 'Swades', 'Batman', 'Interstellar', 'Shawshank'];
export const TOY_PEOPLE = ['Alice', 'Bob', 'Carol'];
/** The source's film factors H (3 x 5). */
export const TOY_H = [
  [0.95, 1.0, 0.05, 0.05, 0.05],
  [0.1, 0.2, 0.8, 0.95, 0.15],
  [0.85, 0.9, 0.3, 0.7, 0.95],
];
/** The source's ratings; null = "?". */
export const TOY_TABLE: (number | null)[][] = [
  [5, 4, 2, 3, 2],
  [null, 5, 1, 4, null],
  [4, null, 1, 5, null],
];
export const TOY_RANK = 3;

/** The known cells as ratings (row-major order: Alice's five, then Bob's, then Carol's). */
export function toyRatings(): Ratings {
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  TOY_TABLE.forEach((row, u) =>
    row.forEach((v, i) => {
      if (v !== null) {
        users.push(u);
        items.push(i);
        values.push(v);
      }
    }),
  );
  return { users: Int32Array.from(users), items: Int32Array.from(items), values: Float32Array.from(values), nUsers: TOY_PEOPLE.length, nItems: TOY_MOVIES.length };
}

/** H as item rows (stride 3: film i's factors at [3i, 3i + 3)), the library's factor layout. */
export function toyItemRows(): Float64Array {
  const Y = new Float64Array(TOY_MOVIES.length * TOY_RANK);
  for (let i = 0; i < TOY_MOVIES.length; i++) for (let a = 0; a < TOY_RANK; a++) Y[i * TOY_RANK + a] = TOY_H[a][i];
  return Y;
}
