/** Model files in Node: the webmf binary format (io.ts) and LIBMF text (libmf.ts), by path. */
import { readFileSync, renameSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../core/errors.ts';
import { decodeModel, encodeModel } from './io.ts';
import { fromLibmf, toLibmf } from './libmf.ts';
import { Model, type ModelOptions } from './model.ts';

export type ModelFormat = 'webmf' | 'libmf';

function readBytes(path: string): Uint8Array {
  try {
    if (!statSync(path).isFile()) throw new InputError(`${path}: not a file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Which format a model file is in (by content). */
export function sniffModelFormat(bytes: Uint8Array): ModelFormat {
  const head = new TextDecoder().decode(bytes.subarray(0, 8));
  if (head === 'WEBMFMDL') return 'webmf';
  if (/^f\s+\d/.test(head)) return 'libmf';
  return 'webmf';
}

/** Loads a model file (webmf binary, or LIBMF text; detected by content unless `format` is given). */
export function loadModelFile(path: string, opts: Omit<ModelOptions, 'seen'> & { format?: ModelFormat } = {}): Model {
  const bytes = readBytes(path);
  const format = opts.format ?? sniffModelFormat(bytes);
  try {
    if (format === 'libmf') return new Model(fromLibmf(new TextDecoder().decode(bytes)), opts);
    const { data, seen, itemTitles } = decodeModel(bytes);
    return new Model(data, { ...opts, seen: seen ?? undefined, itemTitles });
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}

/**
 * Writes `data` to `path` atomically: into a temporary file beside it, then renamed over it, so a crash or a kill
 * mid-write leaves the old file (or none), never half a file. The temporary file is removed when the write fails.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes a model file (atomically: see writeFileAtomic). */
export function saveModelFile(model: Model, path: string, format: ModelFormat = 'webmf'): void {
  const out = format === 'libmf' ? toLibmf(model) : encodeModel(model);
  try {
    writeFileAtomic(path, out);
  } catch (e) {
    throw new InputError(`${path}: cannot write model (${(e as Error).message})`);
  }
}
