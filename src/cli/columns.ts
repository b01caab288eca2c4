/**
 * The CSV layout options shared by `train`, `eval` and `data get`: --columns, --delimiter,
 * --no-header (the data layer's `columns`, `delimiter` and `header` read options).
 */
import type { ColumnSpec, RatingFormat } from '../data/formats.ts';
import { UsageError, type OptSpec, type Parsed } from './args.ts';

export const LAYOUT_OPTS: Record<string, OptSpec> = {
  columns: { type: 'string', help: 'USER,ITEM,RATING[,TIME]: header names or 0-based field indexes (implies --format delimited)' },
  delimiter: { type: 'string', help: "field separator, e.g. ',' ';' '|' '::' or tab as '\\t' (default: detected)" },
  'no-header': { type: 'flag', help: 'the first line is data, not column names' },
};

export interface LayoutOptions {
  format?: RatingFormat | 'auto';
  columns?: ColumnSpec;
  delimiter?: string;
  header?: boolean;
}

/** One --columns field: a 0-based index when it is all digits, else a header name. */
function field(s: string): string | number {
  return /^\d+$/.test(s) ? Number(s) : s;
}

export function parseColumns(spec: string, command: string): ColumnSpec {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.length > 4 || parts.some((p) => p === '')) {
    throw new UsageError(`${command}: --columns takes USER,ITEM[,RATING[,TIME]] (names or 0-based indexes), got ${JSON.stringify(spec)}`);
  }
  const [user, item, value, timestamp] = parts.map(field);
  const out: ColumnSpec = { user, item };
  if (value !== undefined) out.value = value;
  if (timestamp !== undefined) out.timestamp = timestamp;
  return out;
}

const ESCAPES: Record<string, string> = { '\\t': '\t', tab: '\t', space: ' ', '\\s': ' ' };

/** The read options the layout flags ask for; the format becomes 'delimited' when columns or a delimiter are given and none was named. */
export function layoutOptions(o: Parsed, command: string): LayoutOptions {
  const format = o.format as RatingFormat | 'auto' | undefined;
  const res: LayoutOptions = { format };
  if (o.columns !== undefined) res.columns = parseColumns(String(o.columns), command);
  if (o.delimiter !== undefined) {
    const d = String(o.delimiter);
    res.delimiter = ESCAPES[d] ?? d;
    if (res.delimiter === '') throw new UsageError(`${command}: --delimiter must not be empty`);
  }
  if (o['no-header']) res.header = false;
  const custom = res.columns || res.delimiter || res.header === false;
  if (custom && format && format !== 'auto' && format !== 'delimited' && format !== 'implicit') {
    throw new UsageError(`${command}: --columns, --delimiter and --no-header apply to --format delimited or implicit, not ${format}`);
  }
  if (custom && (!format || format === 'auto')) res.format = 'delimited';
  if (res.columns && typeof res.columns.user === 'string' && res.header === false) {
    throw new UsageError(`${command}: --columns names header fields, but --no-header says there is no header: give 0-based indexes`);
  }
  return res;
}

/** Adds the CLI's own spelling to the data layer's advice about columns. */
export function withCliAdvice(e: unknown): unknown {
  if (e instanceof Error && /pass (format\/)?columns|pass format and columns|pass columns/.test(e.message) && !e.message.includes('--columns')) {
    e.message += ' (on the command line: --columns USER,ITEM,RATING[,TIME], --delimiter, --no-header)';
  }
  return e;
}
