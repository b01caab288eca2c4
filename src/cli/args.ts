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
