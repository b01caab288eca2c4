/** A loaded data set: packed ratings plus the external-ID maps and optional item metadata. */
import type { IdMap, Ratings } from './ratings.ts';

export interface ItemMeta {
  /** Title per dense item index ('' when unknown). */
  titles: string[];
  /** Genres per dense item index. */
  genres?: string[][];
  /** Release year per dense item index (NaN when unknown). */
  years?: Float64Array;
}

export interface Dataset {
  name: string;
  ratings: Ratings;
  users: IdMap;
  items: IdMap;
  /** Rating scale [min, max] when known (explicit data). */
  scale?: [number, number];
  /** True for implicit feedback (counts), false for explicit ratings. */
  implicit?: boolean;
  items_meta?: ItemMeta;
}
