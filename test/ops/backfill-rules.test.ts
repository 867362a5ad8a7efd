// The backfill's pure rules: which keys it lists, which results are stale,
// how a key is written into the manifest, and how progress is drawn.
import { expect } from "chai";
import { manifestLine } from "../../commands/backfill/manifest";
import { staleReason } from "../../commands/backfill/staleness";
import { extractable, listingPrefix, type Target } from "../../commands/backfill/target";
import { ProgressLine, progressBar } from "../../commands/ops/progress";

const target: Target = {
  uploadBucket: "uploads",
  resultsBucket: "uploads",
  resultsPrefix: "exiftool/",
  filterPrefix: "incoming/",
  filterSuffix: ".jpg",
  exiftoolVersion: "13.59",
  exiftoolOptions: ["-G1", "-n"],
};

describe("backfill rules", () => {
  it("writes keys percent-encoded, so no key can break the CSV and each decodes to itself", () => {
    const keys = ["a b/c+d.jpg", 'comma,quote"line\nbreak.jpg', "ünï/😀.jpg", "100%.jpg", "x/y"];
    for (const key of keys) {
      const line = manifestLine("uploads", key);
      expect(line.endsWith("\n")).to.equal(true);
      const fields = line.slice(0, -1).split(",");
      expect(fields).to.have.length(2);
      expect(fields[0]).to.equal("uploads");
      expect(fields[1]).to.match(/^[A-Za-z0-9%._~!'()*-]+$/);
      expect(decodeURIComponent(fields[1]!)).to.equal(key);
    }
    expect(manifestLine("b", "a b+c.jpg")).to.equal("b,a%20b%2Bc.jpg\n");
  });

  it("judges a result current only for the same ETag, ExifTool release and options", () => {
    const object = { key: "incoming/a.jpg", size: 3, eTag: "abc" };
    const current = { eTag: "abc", exiftoolVersion: "13.59", exiftoolOptions: ["-G1", "-n"] };
    expect(staleReason(current, object, target)).to.equal(undefined);
    expect(staleReason({ ...current, eTag: '"abc"' }, object, target)).to.equal(undefined);
    expect(staleReason({ ...current, eTag: "old" }, object, target)).to.match(/ETag old/);
    expect(staleReason({ ...current, exiftoolVersion: "13.10" }, object, target)).to.match(
      /ExifTool 13\.10, the stack runs 13\.59/,
    );
    expect(staleReason({ ...current, exiftoolOptions: ["-n", "-G1"] }, object, target)).to.match(
      /options/,
    );
    const { exiftoolOptions: _omitted, ...unrecorded } = current;
    expect(staleReason(unrecorded, object, target)).to.match(/options null/);
    expect(staleReason([1], object, target)).to.match(/ETag/);
    expect(staleReason("text", object, target)).to.match(/not a JSON object/);
  });

  it("judges a recorded failure stale once the ExifTool release, the options or a limit it failed under changes", () => {
    const object = { key: "incoming/a.jpg", size: 3, eTag: "abc" };
    const limits = { objectTimeoutMs: 23000, maxWorkerRssMb: 384, exiftoolWorkers: 2 };
    const failed = {
      eTag: "abc",
      exiftoolVersion: "13.59",
      exiftoolOptions: ["-G1", "-n"],
      status: "failed",
      failure: { type: "MemoryExceeded", message: "needs more", limits },
    };
    const stack = { ...target, limits };
    expect(staleReason(failed, object, stack)).to.equal(undefined);
    expect(staleReason({ ...failed, exiftoolVersion: "13.58" }, object, stack)).to.match(
      /ExifTool 13\.58/,
    );
    expect(staleReason(failed, object, { ...stack, exiftoolOptions: ["-G1"] })).to.match(/options/);
    // a larger memorySize raises the worker cap; a longer timeout the object's time
    expect(
      staleReason(failed, object, { ...stack, limits: { ...limits, maxWorkerRssMb: 896 } }),
    ).to.equal("failed under maxWorkerRssMb 384, the stack now has maxWorkerRssMb 896");
    expect(
      staleReason(failed, object, { ...stack, limits: { ...limits, objectTimeoutMs: 60000 } }),
    ).to.match(/objectTimeoutMs 23000, .* objectTimeoutMs 60000/);
    // outputs of a stack that predates the limits: a failure is always tried again
    expect(staleReason(failed, object, target)).to.match(/limits are not known/);
    // an extracted result never is, for its limits
    expect(staleReason({ ...failed, status: "extracted" }, object, target)).to.equal(undefined);
  });

  it("lists only within the stack's filterPrefix, and skips what the stack never extracts", () => {
    expect(listingPrefix(target)).to.equal("incoming/");
    expect(listingPrefix(target, "incoming/2024/")).to.equal("incoming/2024/");
    expect(listingPrefix(target, "inc")).to.equal("incoming/");
    expect(() => listingPrefix(target, "other/")).to.throw(/outside the stack's filterPrefix/);
    expect(extractable(target, "incoming/a.jpg")).to.equal(true);
    expect(extractable(target, "incoming/a.png")).to.equal(false);
    expect(
      extractable({ ...target, filterPrefix: "", filterSuffix: "" }, "exiftool/a.jpg.json"),
    ).to.equal(false);
    expect(
      extractable({ ...target, resultsBucket: "results", filterSuffix: "" }, "exiftool/a.jpg"),
    ).to.equal(true);
  });

  it("draws progress in place on a terminal, line by line elsewhere, each state once", () => {
    expect(progressBar(0, 0, 10)).to.equal("[----------] 0/0 (0%)");
    expect(progressBar(1, 4, 8)).to.equal("[##------] 1/4 (25%)");
    expect(progressBar(5, 4, 4)).to.equal("[####] 5/4 (100%)");
    const written: string[] = [];
    const log = new ProgressLine({ write: (text) => written.push(text) });
    log.show("a");
    log.show("a");
    log.show("b");
    log.end();
    expect(written).to.deep.equal(["a\n", "b\n"]);
    const tty: string[] = [];
    const live = new ProgressLine({ write: (text) => tty.push(text), isTTY: true });
    live.show("a");
    live.show("b");
    live.end();
    expect(tty).to.deep.equal(["\r\x1b[Ka", "\r\x1b[Kb", "\n"]);
  });
});
