// A worker's parent asks for transparent huge pages once its preloading is
// done (worker.pl, "Huge pages"), so that a fork and a child's exit handle one
// page-table entry per 2 MiB of the parent instead of 512. The kernel decides
// whether it gets them: this machine's THP setting says what to expect.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { ExifToolWorker } from "../../function/exiftool/exiftool-worker";
import { preparationSteps } from "../../function/exiftool/format-modules";
import { CORPUS_DIR } from "../../samples/synthetic";
import { bytesSource } from "../support/bytes-source";
import { exiftoolText, comparableLines } from "../support/local-exiftool";

const THP_MODE = "/sys/kernel/mm/transparent_hugepage/enabled";
/** The mode in brackets ("always", "madvise" or "never"); "never" without THP support. */
function thpMode(): string {
  if (!existsSync(THP_MODE)) return "never";
  return /\[(\w+)\]/.exec(readFileSync(THP_MODE, "utf8"))?.[1] ?? "never";
}

/** Anonymous memory of a process held in huge pages, KiB (Linux smaps_rollup). */
function anonHugeKiB(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return Number(/^AnonHugePages:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
}

describe("a worker's parent in huge pages", function () {
  this.timeout(120_000);
  const path = join(CORPUS_DIR, "Canon.jpg");
  const bytes = readFileSync(path);

  it("holds its heap in huge pages once its format modules are in, where the kernel allows, and its children still print a fresh exiftool's output", async () => {
    // the dev stack's cap: room for the format modules
    const worker = await ExifToolWorker.start({ maxMemoryBytes: 384 * 1024 * 1024 });
    try {
      const extract = () =>
        worker.extract({
          source: bytesSource(bytes),
          directory: "bucket",
          fileName: "Canon.jpg",
          args: [],
          timeoutMs: 60_000,
        });
      // one preparation step per object (every module, then huge pages), and
      // one more object, so the last step is over however it was timed
      // under "always" the kernel may hand out huge pages from the start
      if (thpMode() !== "always") expect(anonHugeKiB(worker.pid)).to.equal(0);
      for (let i = 0; i < preparationSteps() + 1; i++) await extract();
      const huge = anonHugeKiB(worker.pid);
      if (thpMode() === "never") expect(huge).to.equal(0);
      else expect(huge, `THP is "${thpMode()}"`).to.be.at.least(2048);

      const { json } = await extract();
      expect(comparableLines(json!.text)).to.deep.equal(
        comparableLines(await exiftoolText(path, [])),
      );
    } finally {
      await worker.close();
    }
  });
});
