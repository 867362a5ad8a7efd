// WorkerPool.runAlone: the one more try an object gets after it ran out of a
// worker's memory. It starts only once every other lease has ended, runs on
// a worker of its own whose kernel limit is the larger one, stops the idle
// workers (their memory is part of what it may use), and no worker is
// handed out until it is over.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import type { ExifToolWorker } from "../../function/exiftool/exiftool-worker";
import { WorkerPool } from "../../function/exiftool/worker-pool";

const MiB = 1024 * 1024;

/** The address-space limit the kernel holds a process to, in bytes. */
function addressSpaceLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("Max address space"))!;
  return Number(line.split(/\s+/)[3]);
}

describe("a worker pool's task alone", function () {
  this.timeout(60_000);
  let pool: WorkerPool;
  afterEach(() => pool?.close());

  it("waits for the other leases, runs with the larger limit alone, then hands workers out again", async () => {
    pool = new WorkerPool({ size: 2, maxMemoryBytes: 96 * MiB });
    const events: string[] = [];
    let releaseFirst!: () => void;
    const held = new Promise<void>((resolve) => (releaseFirst = resolve));
    const pooled = await pool.run(async (worker) => worker);
    const first = pool.run(async (worker) => {
      events.push("first leased");
      expect(addressSpaceLimit(worker.pid)).to.equal(96 * MiB);
      await held;
      events.push("first released");
    });
    await new Promise((resolve) => setImmediate(resolve));
    let aloneWorker: ExifToolWorker | undefined;
    let next: Promise<unknown> | undefined;
    const alone = pool.runAlone(192 * MiB, async (worker) => {
      events.push("alone started");
      aloneWorker = worker;
      expect(addressSpaceLimit(worker.pid)).to.equal(192 * MiB);
      // asked for meanwhile: waits until the task alone is over
      next = pool.run(async () => events.push("next leased"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      events.push("alone ended");
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    releaseFirst();
    await Promise.all([first, alone]);
    await next;
    expect(events).to.deep.equal([
      "first leased",
      "first released",
      "alone started",
      "alone ended",
      "next leased",
    ]);
    // the pool's worker, idle by then, was stopped for it; its own is gone too
    expect(pooled.state).to.equal("exited");
    expect(aloneWorker!.state).to.equal("exited");
  });
});
