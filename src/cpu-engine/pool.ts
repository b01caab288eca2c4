/**
 * Where the f32 CPU engine's kernels run: a pool of workers (Node worker_threads, or Web Workers in
 * a browser or Deno) sharing the ratings and factors through SharedArrayBuffer, or - when shared
 * memory is not available (a page that is not cross-origin isolated) or one thread is asked
 * for - the calling thread. The `reason` says which, and why.
 *
 * The worker's source is built from the kernels themselves (kernels.ts WORKER_FUNCTIONS, through
 * Function.prototype.toString), so it needs no separate bundle entry or loader in any of the
 * places webmf runs: the TypeScript sources under tsx or vitest, the vite app, the library build.
 */
import { WebmfError } from '../core/errors.ts';
import { OPS, WORKER_FUNCTIONS, type HeapRef, type OpName } from './kernels.ts';
import { engineWasmBytes } from './wasm.ts';

export interface ExecOptions {
  /** Worker threads (default: the number of cores). 1 runs on the calling thread. */
  threads?: number;
  /**
   * 'auto' (default): arrays in the engine's shared WebAssembly memory where it can be made, so
   * engine.wat's SIMD kernels run; 'js': plain shared buffers, so the JS kernels run (for comparisons).
   */
  kernels?: 'auto' | 'js';
}

/** Runs kernel jobs: one job per thread of the pool, each taking chunks from a shared counter. */
export interface Exec {
  /** Starts the workers (once); `threads` and `reason` are final after it resolves. */
  ready(): Promise<void>;
  readonly threads: number;
  /** True when the jobs run in workers over shared memory. */
  readonly shared: boolean;
  /** How the engine runs, and why ("2 worker threads", "1 thread: this page is not cross-origin isolated"). */
  readonly reason: string;
  /** Runs `jobs[t]` on thread t (jobs.length <= threads); resolves with their results in order. */
  run<R>(op: OpName, jobs: object[]): Promise<R[]>;
  f32(n: number): Float32Array;
  f64(n: number): Float64Array;
  u32(n: number): Uint32Array;
  i32(n: number): Int32Array;
  /**
   * The engine's shared WebAssembly memory, for a job whose arrays all live in it (the SIMD kernels
   * of engine.wat then run on them in place), else null (the JS kernels run).
   */
  heapFor(...arrays: ArrayBufferView[]): HeapRef | null;
  destroy(): void;
}

/**
 * One shared WebAssembly memory that the engine's arrays are carved from (a bump allocator: a fit
 * allocates its arrays once), so the SIMD kernels on every worker address them in place. Where it
 * cannot be made (no shared memory, no WebAssembly SIMD) or is full (4 GiB), arrays come from plain
 * buffers and the JS kernels run on them.
 */
class Heap {
  private top = 64; // offset 0 stays unused: the kernels read address 0 as "none"
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private constructor(
    readonly ref: HeapRef,
    private readonly memory: WebAssembly.Memory,
  ) {}

  static make(): Heap | null {
    const bytes = engineWasmBytes();
    if (!bytes) return null;
    for (const maximum of [65536, 16384, 4096]) {
      try {
        const memory = new WebAssembly.Memory({ initial: 1, maximum, shared: true });
        return new Heap({ memory, id: Math.random(), bytes }, memory);
      } catch {
        // a smaller reservation may still fit (32-bit hosts)
      }
    }
    return null;
  }

  /** `bytes` zeroed bytes, 16-byte aligned, as [buffer, offset]; null when the memory cannot grow that far. */
  alloc(bytes: number): [ArrayBufferLike, number] | null {
    const at = this.top;
    const end = at + Math.ceil(bytes / 16) * 16;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / 65536));
      } catch {
        return null;
      }
    }
    this.top = end;
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    return [buf, at];
  }

  holds(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }
}

/** Typed-array makers over the heap where it has room, else over plain (shared) buffers. */
function makers(heap: Heap | null, shared: boolean) {
  const make = <T>(C: new (b: ArrayBufferLike, o: number, n: number) => T, size: number) => (n: number): T => {
    const h = heap?.alloc(size * n);
    if (h) return new C(h[0], h[1], n);
    return new C(alloc(size * n, shared), 0, n);
  };
  return {
    f32: make(Float32Array, 4),
    f64: make(Float64Array, 8),
    u32: make(Uint32Array, 4),
    i32: make(Int32Array, 4),
    heapFor: (...arrays: ArrayBufferView[]): HeapRef | null => (heap && arrays.every((a) => heap.holds(a)) ? heap.ref : null),
  };
}

const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { Deno?: unknown }).Deno === 'undefined';

/** Cores on this machine (navigator.hardwareConcurrency, or os.availableParallelism in Node). */
export async function coreCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  if (isNode()) {
    const os = (await import(/* @vite-ignore */ 'node:os')) as typeof import('node:os');
    return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  }
  return 1;
}

/** Why shared memory is unavailable here, or null when it is. */
export function sharedMemoryUnavailable(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') {
    return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
      ? 'this page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp for SharedArrayBuffer)'
      : 'SharedArrayBuffer is not available here';
  }
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return 'this page is not cross-origin isolated';
  const g = globalThis as { Worker?: unknown };
  if (!isNode() && typeof g.Worker === 'undefined') return 'Worker is not available here';
  return null;
}

/** The worker script: the kernels, a job table and a message loop for Node or the web. */
export function workerSource(): string {
  const ops = Object.entries(OPS).map(([k, f]) => `${JSON.stringify(k)}: ${f.name}`).join(', ');
  return [
    // esbuild's keepNames (tsx) wraps nested functions in __name(); outside the bundle it must exist.
    'var __name = (f) => f;',
    ...WORKER_FUNCTIONS.map((f) => f.toString()),
    `const OPS = { ${ops} };`,
    `function handle(m, post) {
  try { post({ id: m.id, result: OPS[m.op](m.job) }); }
  catch (e) { post({ id: m.id, error: String((e && e.stack) || e) }); }
}
if (typeof require === 'function' && typeof process !== 'undefined' && process.versions && process.versions.node) {
  const { parentPort } = require('node:worker_threads');
  parentPort.on('message', (m) => handle(m, (x) => parentPort.postMessage(x)));
} else {
  self.onmessage = (e) => handle(e.data, (x) => self.postMessage(x));
}`,
  ].join('\n');
}

interface AnyWorker {
  post(m: unknown): void;
  onMessage(f: (m: { id: number; result?: unknown; error?: string }) => void): void;
  onError(f: (e: unknown) => void): void;
  /** Node: whether the worker keeps the process alive (only while a job runs). */
  hold(on: boolean): void;
  terminate(): void;
}

async function spawn(n: number): Promise<AnyWorker[]> {
  const src = workerSource();
  if (isNode()) {
    const { Worker } = (await import(/* @vite-ignore */ 'node:worker_threads')) as typeof import('node:worker_threads');
    return Array.from({ length: n }, () => {
      const w = new Worker(src, { eval: true });
      w.unref();
      return {
        post: (m) => w.postMessage(m),
        onMessage: (f) => w.on('message', f),
        onError: (f) => w.on('error', f),
        hold: (on) => (on ? w.ref() : w.unref()),
        terminate: () => void w.terminate(),
      };
    });
  }
  const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  try {
    return Array.from({ length: n }, () => {
      const w = new Worker(url, { type: 'module', name: 'webmf-cpu' });
      return {
        post: (m) => w.postMessage(m),
        onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
        onError: (f) => w.addEventListener('error', (e) => f(e)),
        hold: () => {},
        terminate: () => w.terminate(),
      };
    });
  } finally {
    // Workers have fetched their script once constructed.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

class PoolExec implements Exec {
  readonly shared = true;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;
  private workers: AnyWorker[] = [];
  private starting: Promise<void> | null = null;
  private destroyed = false;

  private readonly mk: ReturnType<typeof makers>;

  constructor(
    private readonly requested: number | undefined,
    useHeap = true,
  ) {
    this.mk = makers(useHeap ? Heap.make() : null, true);
  }

  get reason(): string {
    return this.workers.length ? `${this.workers.length} worker threads` : 'worker threads (not started)';
  }

  ready(): Promise<void> {
    this.starting ??= (async () => {
      const n = this.requested ?? (await coreCount());
      const ws = await spawn(Math.max(1, n));
      if (this.destroyed) {
        for (const w of ws) w.terminate();
        throw new WebmfError('the CPU engine was destroyed while starting');
      }
      this.attach(ws);
    })();
    return this.starting;
  }

  private attach(workers: AnyWorker[]): void {
    this.workers = workers;
    for (const w of workers) {
      w.onMessage((m) => {
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        if (this.waiting.size === 0) for (const x of this.workers) x.hold(false);
        if (m.error !== undefined) p.reject(new WebmfError(`CPU engine worker failed: ${m.error}`));
        else p.resolve(m.result);
      });
      w.onError((e) => {
        this.failed = new WebmfError(`CPU engine worker crashed: ${(e as { message?: string }).message ?? String(e)}`);
        for (const p of this.waiting.values()) p.reject(this.failed);
        this.waiting.clear();
      });
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  run<R>(op: OpName, jobs: object[]): Promise<R[]> {
    if (this.failed) return Promise.reject(this.failed);
    // Idle workers let the process exit; a running job keeps it alive until its answer.
    if (this.waiting.size === 0) for (const w of this.workers) w.hold(true);
    return Promise.all(
      jobs.map(
        (job, t) =>
          new Promise<R>((resolve, reject) => {
            const id = this.nextId++;
            this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
            this.workers[t].post({ id, op, job });
          }),
      ),
    );
  }

  f32 = (n: number) => this.mk.f32(n);
  f64 = (n: number) => this.mk.f64(n);
  u32 = (n: number) => this.mk.u32(n);
  i32 = (n: number) => this.mk.i32(n);
  heapFor = (...a: ArrayBufferView[]) => this.mk.heapFor(...a);

  destroy(): void {
    this.destroyed = true;
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}

/** A buffer of `bytes`, shared or not; a failed allocation is a typed error naming the size. */
function alloc(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  try {
    return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  } catch (e) {
    throw new WebmfError(`f32 CPU engine: cannot allocate ${(bytes / 2 ** 20).toFixed(1)} MiB of ${shared ? 'shared ' : ''}memory (${(e as Error).message})`);
  }
}

/** The calling thread: the same kernels, one job at a time. */
class InlineExec implements Exec {
  readonly threads = 1;
  readonly shared = false;
  private readonly mk: ReturnType<typeof makers>;
  constructor(
    readonly reason: string,
    useHeap = true,
  ) {
    // With shared memory (threads: 1 asked for), the same heap and SIMD kernels as the pool; without, plain buffers.
    this.mk = makers(typeof SharedArrayBuffer === 'undefined' || !useHeap ? null : Heap.make(), false);
  }
  async ready(): Promise<void> {}
  async run<R>(op: OpName, jobs: object[]): Promise<R[]> {
    const fn = OPS[op] as (j: object) => R;
    return jobs.map((j) => fn(j));
  }
  f32 = (n: number) => this.mk.f32(n);
  f64 = (n: number) => this.mk.f64(n);
  u32 = (n: number) => this.mk.u32(n);
  i32 = (n: number) => this.mk.i32(n);
  heapFor = (...a: ArrayBufferView[]) => this.mk.heapFor(...a);
  destroy(): void {}
}

/**
 * An executor, made synchronously: a pool of `threads` workers (default: the core count), started
 * by the first `ready()`, or the calling thread (threads: 1, or no shared memory) with the reason.
 */
export function lazyExec(o: ExecOptions = {}): Exec {
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1 && o.threads <= 256)) {
    throw new WebmfError(`threads must be an integer in [1, 256], got ${o.threads}`);
  }
  const heap = o.kernels !== 'js';
  if (o.threads === 1) return new InlineExec('1 thread (threads: 1)', heap);
  const why = sharedMemoryUnavailable();
  if (why) return new InlineExec(`1 thread: ${why}`, heap);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (o.threads === undefined && nav?.hardwareConcurrency === 1) return new InlineExec('1 thread (one core)', heap);
  return new PoolExec(o.threads, heap);
}

/** `lazyExec`, started. */
export async function createExec(o: ExecOptions = {}): Promise<Exec> {
  const e = lazyExec(o);
  await e.ready();
  return e;
}

/**
 * Residual sums (sse, sae) of a - mu - x_u.y_i over `r`, split by rating ranges over the pool
 * (arrays shared) or on the calling thread.
 */
export async function residualsOnPool(
  exec: Exec,
  r: { users: Int32Array; items: Int32Array; values: Float32Array },
  X: Float32Array,
  Y: Float32Array,
  S: number,
  mu: number,
): Promise<{ sse: number; sae: number }> {
  const n = r.values.length;
  const T = exec.threads;
  const shared = exec.shared && r.values.buffer instanceof SharedArrayBuffer && X.buffer instanceof SharedArrayBuffer;
  const heap = exec.heapFor(r.users, r.items, r.values, X, Y);
  const jobs = Array.from({ length: shared ? T : 1 }, (_, t) => ({ ...r, X, Y, S, mu, heap, k0: shared ? Math.floor((t * n) / T) : 0, k1: shared ? Math.floor(((t + 1) * n) / T) : n }));
  const parts = shared ? await exec.run<{ sse: number; sae: number }>('residualPart', jobs) : [OPS.residualPart(jobs[0])];
  let sse = 0;
  let sae = 0;
  for (const p of parts) {
    sse += p.sse;
    sae += p.sae;
  }
  return { sse, sae };
}
