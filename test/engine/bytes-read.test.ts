// Large objects whose metadata sits at the start, at the end, or both: the
// engine extracts what local exiftool extracts while reading well under a
// megabyte, counted by the engine and cross-checked with the server's log.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { Extractor } from "../../function/extractor";
import { jpeg, mp3, quickTime, tiffIfdLast, type SyntheticFile } from "../../samples/synthetic";
import { exiftoolJson, withoutLocalFileTags } from "../support/local-exiftool";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const MB = 1024 * 1024;

const cases: { file: SyntheticFile; limit: number }[] = [
  { file: quickTime(300 * MB), limit: 1 * MB },
  { file: jpeg(50 * MB), limit: 1 * MB },
  { file: mp3(50 * MB), limit: 1 * MB },
  { file: tiffIfdLast(100 * MB), limit: 2 * MB },
];

describe("bytes read from large objects", function () {
  this.timeout(300_000);
  let local: LocalS3;
  let extractor: Extractor;
  const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-large-"));

  before(async () => {
    local = await startLocalS3(["large"]);
    extractor = new Extractor({ s3: local.s3, workers: 1 });
  });
  after(async () => {
    await extractor.close();
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const { file, limit } of cases) {
    it(`${file.name} (${Math.round(file.size / MB)} MB, ${file.layout}): full metadata from under ${limit / MB} MB`, async () => {
      const path = join(dir, file.name);
      await pipeline(Readable.from(file.chunks()), createWriteStream(path));
      await local.put("large", file.name, createReadStream(path));
      try {
        const { metadata, stats, object } = await extractor.extract({
          bucket: "large",
          key: file.name,
        });
        const reference = (await exiftoolJson([path])).get(file.name)!;

        expect(object.size).to.equal(file.size);
        expect(metadata.Error, "ExifTool error").to.equal(undefined);
        expect(withoutLocalFileTags(metadata)).to.deep.equal(withoutLocalFileTags(reference));
        expect(stats.bytesRead).to.be.below(limit);
        // the first range plus the tail: a regression to streaming would show here first
        expect(stats.requests).to.be.at.most(4);

        const gets = local.proxy.getsOf("large", file.name);
        expect(stats.requests).to.equal(gets.length);
        expect(stats.bytesRead).to.equal(gets.reduce((sum, entry) => sum + entry.bytes, 0));
      } finally {
        await local.direct.send(new DeleteObjectCommand({ Bucket: "large", Key: file.name }));
        rmSync(path, { force: true });
      }
    });
  }
});
