/** A small, strict argument parser for the `webmf` commands: unknown options and bad values are errors. */
import { InputError } from '../core/errors.ts';

/** A command-line mistake: printed as one line, exit status 2. */
export class UsageError extends InputError {}

export type OptType = 'string' | 'number' | 'int' | 'flag';

export interface OptSpec {
  type: OptType;
  /** Short alias without the dash ('k' for -k). */
  short?: string;
  /** Allowed values (string options). */
  choices?: string[];
  help: string;
}

export type Parsed = Record<string, string | number | boolean | undefined>;

export function parseArgs(command: string, argv: string[], spec: Record<string, OptSpec>): Parsed {
  const out: Parsed = {};
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short) byShort.set(s.short, name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (!(name in spec)) throw new UsageError(`${command}: unknown option --${name} (see webmf ${command} --help)`);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      name = byShort.get(a.slice(1));
      if (!name) throw new UsageError(`${command}: unknown option ${a} (see webmf ${command} --help)`);
    } else {
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(a)}`);
    }
    const s = spec[name];
    if (s.type === 'flag') {
      if (inline !== undefined) throw new UsageError(`${command}: --${name} takes no value`);
      out[name] = true;
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`${command}: --${name} needs a value`);
    if (s.type === 'number' || s.type === 'int') {
      const x = Number(v);
      if (v.trim() === '' || !Number.isFinite(x) || (s.type === 'int' && !Number.isInteger(x))) {
        throw new UsageError(`${command}: --${name} must be ${s.type === 'int' ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
      }
      out[name] = x;
    } else {
      if (s.choices && !s.choices.includes(v)) throw new UsageError(`${command}: --${name} must be one of ${s.choices.join(', ')}, got ${JSON.stringify(v)}`);
      out[name] = v;
    }
  }
  return out;
}

export function helpText(usage: string, spec: Record<string, OptSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ''}--${name}${s.type === 'flag' ? '' : s.choices ? ` ${s.choices.join('|')}` : s.type === 'string' ? ' VALUE' : ' N'}`;
    return `  ${flag.padEnd(40)} ${s.help}`;
  });
  return `${usage}\n\nOptions:\n${rows.join('\n')}\n`;
}

export function req<T extends string | number>(o: Parsed, name: string, command: string): T {
  const v = o[name];
  if (v === undefined) throw new UsageError(`${command}: --${name} is required`);
  return v as T;
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, KB: 1e3, MB: 1e6, GB: 1e9 };

/**
 * Parses `--gpu-limits maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB,deviceMemory=2GiB` (sizes in bytes, or with
 * KiB/MiB/GiB or KB/MB/GB). Names and sizes are checked again by GpuContext.create (at least 1 MiB).
 */
export function parseGpuLimits(command: string, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const known = ['maxStorageBufferBindingSize', 'maxBufferSize', 'deviceMemory'];
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(part);
    if (!m) throw new UsageError(`${command}: --gpu-limits takes NAME=SIZE[,NAME=SIZE], e.g. maxStorageBufferBindingSize=4MiB,maxBufferSize=8MiB; got ${JSON.stringify(part)}`);
    const [, name, num, unit] = m;
    if (!known.includes(name)) throw new UsageError(`${command}: --gpu-limits: unknown limit '${name}' (webmf accepts ${known.join(', ')})`);
    const mult = SIZE_UNITS[unit.toUpperCase()];
    if (mult === undefined) throw new UsageError(`${command}: --gpu-limits: unknown unit '${unit}' in ${JSON.stringify(part)} (use bytes, KiB, MiB, GiB, KB, MB or GB)`);
    const bytes = Number(num) * mult;
    if (!Number.isSafeInteger(bytes) || bytes < 1024 * 1024 || bytes % 4 !== 0) {
      throw new UsageError(`${command}: --gpu-limits: ${name} must be a whole number of bytes, a multiple of 4 and at least 1MiB, got ${JSON.stringify(part.trim())}`);
    }
    if (name in out) throw new UsageError(`${command}: --gpu-limits names ${name} twice`);
    out[name] = bytes;
  }
  return out;
}
