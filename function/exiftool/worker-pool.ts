// A fixed number of warm workers shared by concurrent extractions. Workers
// start on first demand and stay up between objects (and between Lambda
// invocations); a worker that died or was killed, busy or idle, is dropped
// and its replacement starts on the next demand.
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

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake(new Error("worker pool closed"));
    await Promise.all(this.idle.splice(0).map((worker) => worker.close()));
  }

  private async acquire(): Promise<ExifToolWorker> {
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

  /** A worker that exited while idle is never handed out. */
  private drop(worker: ExifToolWorker): void {
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private release(worker: ExifToolWorker): void {
    this.leased--;
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
