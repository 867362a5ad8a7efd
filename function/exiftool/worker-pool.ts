// A fixed number of warm workers shared by concurrent extractions. Workers
// start on first demand and stay up between objects (and between Lambda
// invocations); a worker that died or was killed, busy or idle, is dropped
// and its replacement starts on the next demand. runAlone runs one task on
// a worker of its own with a larger memory limit, with no other worker
// running or even idle beside it (see runAlone).
import { ExifToolWorker, type WorkerOptions } from "./exiftool-worker";

export interface PoolOptions extends WorkerOptions {
  size: number;
}

export class WorkerPool {
  /** Perl processes started so far: the cost a warm pool exists to avoid. */
  spawned = 0;
  private readonly idle: ExifToolWorker[] = [];
  private readonly waiting: ((worker: ExifToolWorker | Error) => void)[] = [];
  private starting = 0;
  private leased = 0;
  private closed = false;
  private version?: string;
  /** Set while a task runs alone: no worker is handed out until it is over. */
  private gate?: Promise<void>;
  /** Told when the last lease ends (runAlone waits for it). */
  private onAllReleased?: () => void;

  constructor(private readonly options: PoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new Error(`worker pool size must be a whole number of at least 1, got ${options.size}`);
    }
  }

  /** ExifTool's version, starting a worker if none has started yet. */
  async exiftoolVersion(): Promise<string> {
    if (!this.version) await this.run(async () => undefined);
    return this.version!;
  }

  /** Runs `task` with a worker of its own, then hands the worker to the next task. */
  async run<T>(task: (worker: ExifToolWorker) => Promise<T>): Promise<T> {
    const worker = await this.acquire();
    try {
      return await task(worker);
    } finally {
      this.release(worker);
    }
  }

  /**
   * Runs `task` on a worker started for it alone, limited to `maxMemoryBytes`
   * instead of the pool's per-worker limit: every lease ends first, the
   * idle workers exit (their memory is part of what the task may use), and
   * no worker is handed out until the task is over; workers then start
   * again on demand. Such tasks run one after another.
   */
  async runAlone<T>(
    maxMemoryBytes: number,
    task: (worker: ExifToolWorker) => Promise<T>,
  ): Promise<T> {
    while (this.gate) await this.gate;
    if (this.closed) throw new Error("worker pool closed");
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      if (this.leased + this.starting > 0) {
        await new Promise<void>((resolve) => (this.onAllReleased = resolve));
      }
      await Promise.all(this.idle.splice(0).map((worker) => worker.close()));
      this.spawned++;
      const worker = await ExifToolWorker.start({ ...this.options, maxMemoryBytes });
      try {
        return await task(worker);
      } finally {
        await worker.close();
      }
    } finally {
      this.gate = undefined;
      open();
      // the tasks that queued meanwhile start workers of their own again
      for (const wake of this.waiting.splice(0, this.options.size)) this.acquire().then(wake, wake);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake(new Error("worker pool closed"));
    await Promise.all(this.idle.splice(0).map((worker) => worker.close()));
  }

  private async acquire(): Promise<ExifToolWorker> {
    while (this.gate) await this.gate;
    if (this.closed) throw new Error("worker pool closed");
    const ready = this.idle.pop();
    if (ready?.alive) {
      this.leased++;
      return ready;
    }
    if (this.leased + this.starting < this.options.size) {
      this.starting++;
      this.spawned++;
      let worker: ExifToolWorker;
      try {
        worker = await ExifToolWorker.start({ ...this.options, onExit: (dead) => this.drop(dead) });
      } catch (error) {
        this.starting--;
        this.checkAllReleased();
        // the slot is free again: a waiting task tries a start of its own
        // (and gets the same clear error if the cause remains)
        const wake = this.waiting.shift();
        if (wake) this.acquire().then(wake, wake);
        throw error;
      }
      this.starting--;
      this.version = worker.exiftoolVersion;
      this.leased++;
      return worker;
    }
    const next = await new Promise<ExifToolWorker | Error>((resolve) => this.waiting.push(resolve));
    if (next instanceof Error) throw next;
    return next;
  }

  private checkAllReleased(): void {
    if (this.leased + this.starting > 0) return;
    const done = this.onAllReleased;
    this.onAllReleased = undefined;
    done?.();
  }

  /** A worker that exited while idle is never handed out. */
  private drop(worker: ExifToolWorker): void {
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private release(worker: ExifToolWorker): void {
    this.leased--;
    if (this.gate) {
      // a task waits to run alone: no hand-over, no replacement
      if (worker.alive && !this.closed) this.idle.push(worker);
      this.checkAllReleased();
      return;
    }
    const usable = worker.alive && !this.closed;
    if (!usable) {
      if (this.closed) void worker.close();
      // a dead worker frees its slot: let a waiting task start a fresh one
      const wake = this.waiting.shift();
      if (wake) this.acquire().then(wake, wake);
      return;
    }
    const wake = this.waiting.shift();
    if (wake) {
      this.leased++;
      wake(worker);
    } else {
      this.idle.push(worker);
    }
  }
}
