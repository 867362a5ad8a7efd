import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { RangeUnion } from "../../bench/ranges";
import { TouchRecordingSource } from "../../bench/touch-recording-source";

describe("bench: bytes touched", () => {
  it("counts overlapping and repeated ranges once", () => {
    const union = new RangeUnion();
    union.add(100, 200);
    union.add(150, 250);
    union.add(100, 200);
    union.add(0, 10);
    expect(union.total).to.equal(160);
    expect(union.list).to.deep.equal([
      [0, 10],
      [100, 250],
    ]);
  });

  it("merges touching ranges and bridges gaps a later range covers", () => {
    const union = new RangeUnion();
    union.add(0, 10);
    union.add(20, 30);
    union.add(10, 20);
    union.add(5, 5);
    expect(union.list).to.deep.equal([[0, 30]]);
  });

  it("records what is read from a local file, short at its end", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "bench-test-")), "file.bin");
    writeFileSync(path, Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)));
    const source = new TouchRecordingSource(path);
    try {
      expect((await source.open()).size).to.equal(1000);
      expect([...(await source.read(10, 3))]).to.deep.equal([10, 11, 12]);
      expect((await source.read(990, 100)).length).to.equal(10);
      await source.read(11, 5);
      expect(source.touched.total).to.equal(6 + 10);
      expect(source.stats).to.deep.equal({ bytesRead: 18, requests: 3 });
    } finally {
      await source.close();
    }
  });
});
