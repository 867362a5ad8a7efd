// Sequential reads in pieces: worker.pl serves ExifTool's reads from
// block-aligned windows and, when a read crosses its window's end, asks
// Node again from the start of the block it was in. Node must still see a
// sequential run and grow its read-ahead: a large ZIP's central directory
// and a large PDF's xref table cost about the GETs of a plain sequential
// reader, not one GET per block.
import { expect } from "chai";
import { manyMemberZip, pdfWithLargeXref } from "../../bench/more-synthetic";
import { Extractor } from "../../function/extractor";
import { DEFAULT_RANGE_READ_OPTIONS, S3RangeSource } from "../../function/ranges/s3-range-source";
import type { SyntheticFile } from "../../samples/synthetic";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const whole = (file: SyntheticFile): Buffer => Buffer.concat([...file.chunks()]);

describe("GETs for long sequential reads in pieces", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let extractor: Extractor;

  before(async () => {
    local = await startLocalS3(["uploads"]);
    extractor = new Extractor({ s3: local.s3, workers: 1 });
  });
  after(async () => {
    await extractor.close();
    await local.stop();
  });

  /** GETs of a reader that reads [from, size) front to back, after its first GET, with the same read-ahead. */
  async function sequentialGets(key: string, from: number): Promise<number> {
    const source = new S3RangeSource(local.s3, { bucket: "uploads", key });
    const { size } = await source.open();
    const { blockSize } = DEFAULT_RANGE_READ_OPTIONS;
    for (let at = from; at < size; at += blockSize) await source.read(at, blockSize);
    return source.stats.requests;
  }

  const cases = [
    {
      name: "a ZIP of 8,000 members (its central directory)",
      file: manyMemberZip(8_000),
      span: (data: Buffer) => data.readUInt32LE(data.length - 22 + 16),
      check: (metadata: Record<string, unknown>) =>
        expect(metadata).to.include({ FileType: "ZIP", ZipFileName: "member/000000.txt" }),
    },
    {
      name: "a PDF of 60,000 objects (its xref table)",
      file: pdfWithLargeXref(60_000),
      span: (data: Buffer) =>
        Number(/startxref\n(\d+)\n%%EOF\n$/.exec(data.toString("latin1"))![1]),
      check: (metadata: Record<string, unknown>) =>
        expect(metadata).to.include({ FileType: "PDF", Title: "Large xref" }),
    },
  ];

  for (const { name, file, span, check } of cases) {
    it(`${name}: within 2x of a sequential reader's GETs`, async () => {
      const data = whole(file);
      await local.put("uploads", file.name, data);
      const before = local.proxy.getsOf("uploads", file.name).length;
      const { stats, metadata } = await extractor.extract({ bucket: "uploads", key: file.name });
      check(metadata);
      // the engine's count is the proxy's
      expect(local.proxy.getsOf("uploads", file.name).length - before).to.equal(stats.requests);
      const sequential = await sequentialGets(file.name, span(data));
      expect(stats.requests).to.be.at.most(2 * sequential, `sequential reader: ${sequential}`);
    });
  }
});
