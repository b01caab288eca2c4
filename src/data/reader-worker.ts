/**
 * Web Worker entry: reads ratings off the main thread and transfers the packed arrays back.
 *
 *   const worker = new Worker(new URL('./reader-worker.ts', import.meta.url), { type: 'module' });
 *
 * (readRatingsInWorker in worker-client.ts does this and speaks the protocol.) Messages: see worker-protocol.ts.
 * Progress is posted at most every 4 MiB; an 'abort' message stops the read with an AbortError.
 */
import { readRatings } from './read.ts';
import { packDataset, type FromWorker, type ToWorker } from './worker-protocol.ts';

const running = new Map<number, AbortController>();

/** Handles one message; `post` is postMessage (with a transfer list). Exported so it can be tested without a worker. */
export async function handleWorkerMessage(msg: ToWorker, post: (m: FromWorker, transfer?: Transferable[]) => void): Promise<void> {
  if (msg.type === 'abort') {
    running.get(msg.id)?.abort(new Error('aborted by the page'));
    return;
  }
  if (msg.type !== 'read') return;
  const ctl = new AbortController();
  running.set(msg.id, ctl);
  try {
    const { itemMeta, ...options } = msg.options;
    const ds = await readRatings(msg.source, {
      ...options,
      itemMeta: itemMeta ? { source: itemMeta.source, fileName: itemMeta.fileName } : undefined,
      signal: ctl.signal,
      onProgress: (progress) => post({ type: 'progress', id: msg.id, progress }),
    });
    const { packed, transfer } = packDataset(ds);
    post({ type: 'done', id: msg.id, dataset: packed }, transfer);
  } catch (e) {
    const err = e as Error;
    post({ type: 'error', id: msg.id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(e) } });
  } finally {
    running.delete(msg.id);
  }
}

declare const WorkerGlobalScope: { new (): unknown } | undefined;
if (typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined' && self instanceof (WorkerGlobalScope as unknown as typeof Object)) {
  const scope = self as unknown as { onmessage: ((ev: MessageEvent<ToWorker>) => void) | null; postMessage: (m: FromWorker, t?: Transferable[]) => void };
  scope.onmessage = (ev) => {
    void handleWorkerMessage(ev.data, (m, t) => scope.postMessage(m, t ?? []));
  };
}
