/**
 * Reading ratings in a Web Worker from the page: the file is parsed off the main thread and the packed typed arrays
 * are transferred back (no copy). Progress and AbortSignal work as with readRatings.
 */
import { AbortError, InputError } from '../core/errors.ts';
import type { LoadedDataset, ReadOptions } from './read.ts';
import { unpackDataset, type FromWorker, type ToWorker, type WorkerReadOptions } from './worker-protocol.ts';

export interface WorkerReadCall extends Omit<ReadOptions, 'itemMeta' | 'users' | 'items' | 'parts'> {
  itemMeta?: { source: Blob | ArrayBuffer; fileName: string };
  /** A worker running reader-worker.ts to reuse (default: a new one, terminated afterwards). */
  worker?: Worker;
}

let nextId = 1;

/** Reads a File/Blob/ArrayBuffer/ReadableStream of ratings in a Web Worker. */
export function readRatingsInWorker(source: Blob | ArrayBuffer | ReadableStream<Uint8Array>, call: WorkerReadCall = {}): Promise<LoadedDataset> {
  const { worker: given, onProgress, signal, ...rest } = call;
  const worker = given ?? new Worker(new URL('./reader-worker.ts', import.meta.url), { type: 'module' });
  const id = nextId++;
  const options: WorkerReadOptions = { ...rest };
  if (!options.fileName && typeof File !== 'undefined' && source instanceof File) options.fileName = source.name;
  return new Promise<LoadedDataset>((resolve, reject) => {
    const done = () => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (!given) worker.terminate();
    };
    const onMessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      if (m.id !== id) return;
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') {
        done();
        resolve(unpackDataset(m.dataset));
      } else if (m.type === 'error') {
        done();
        reject(m.error.name === 'AbortError' ? new AbortError(m.error.message) : new InputError(m.error.message));
      }
    };
    const onError = (ev: ErrorEvent) => {
      done();
      reject(new InputError(`reader worker failed: ${ev.message}`));
    };
    const onAbort = () => worker.postMessage({ type: 'abort', id } satisfies ToWorker);
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    if (signal?.aborted) {
      done();
      reject(new AbortError('reading aborted', { cause: signal.reason }));
      return;
    }
    signal?.addEventListener('abort', onAbort);
    const transfer: Transferable[] = [];
    if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) transfer.push(source as unknown as Transferable);
    worker.postMessage({ type: 'read', id, source, options } satisfies ToWorker, transfer);
  });
}
