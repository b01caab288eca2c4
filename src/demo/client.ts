/** The page's side of the engine worker: typed send, and listeners per message type. */
import type { FromWorker, ToWorker } from './protocol.ts';

type Handler<T extends FromWorker['type']> = (m: Extract<FromWorker, { type: T }>) => void;

export class EngineClient {
  private readonly worker: Worker;
  private readonly handlers = new Map<string, Set<(m: FromWorker) => void>>();

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'webmf-engine' });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      for (const fn of this.handlers.get(ev.data.type) ?? []) fn(ev.data);
    };
    this.worker.onerror = (ev) => {
      for (const fn of this.handlers.get('error') ?? []) fn({ type: 'error', context: 'worker', message: ev.message || 'the engine worker failed to start' });
    };
  }

  send(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  on<T extends FromWorker['type']>(type: T, fn: Handler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    const f = fn as (m: FromWorker) => void;
    set.add(f);
    return () => set!.delete(f);
  }
}
