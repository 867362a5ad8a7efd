// The engine's CPU breakdown from WorkerBreakdown.pm's log: means per object
// over the objects both the child and the parent logged.
import { expect } from "chai";
import { parseBreakdown } from "../../bench/worker-breakdown";

describe("worker CPU breakdown", () => {
  it("averages each phase over the objects both sides logged; exit is the child's rest; the highest child peak", () => {
    const log = [
      // child: setup, ImageInfo, output (ns), peak (KiB); parent: fork, the child's total, the parent's own
      "C 10 4000000 20000000 2000000 41000",
      "P 10 1000000 30000000 3000000",
      "C 11 6000000 10000000 2000000 39000",
      "P 11 3000000 20000000 5000000",
      // killed before its exit: the parent logged it, the child did not
      "P 12 1000000 50000000 1000000",
      "",
    ].join("\n");
    expect(parseBreakdown(log)).to.deep.equal({
      objects: 2,
      forkMs: 2,
      parentMs: 2,
      setupMs: 5,
      imageInfoMs: 15,
      outputMs: 2,
      exitMs: 3,
      childPeakKiB: 41000,
    });
  });

  it("reports no objects for an empty log", () => {
    expect(parseBreakdown("").objects).to.equal(0);
  });
});
