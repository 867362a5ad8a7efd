// Every ExifTool sample file, put into S3 and extracted through the engine,
// gives what `exiftool -json` gives on the local file, but for the tags that
// describe a local file (SourceFile, Directory, FileModifyDate, FileAccessDate,
// FileInodeChangeDate, FilePermissions).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Extractor } from "../../function/extractor";
import { CORPUS_DIR } from "../../samples/synthetic";
import { exiftoolJson, withoutLocalFileTags } from "../support/local-exiftool";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const files = readdirSync(CORPUS_DIR).sort();

describe("engine output equals exiftool -json on the local file", function () {
  this.timeout(240_000);
  let local: LocalS3;

  before(async () => {
    local = await startLocalS3(["corpus"]);
    for (const name of files) await local.put("corpus", name, readFileSync(join(CORPUS_DIR, name)));
  });
  after(() => local.stop());

  it("covers all 194 sample files", () => {
    expect(files).to.have.length(194);
  });

  for (const options of [[], ["-G1", "-a", "-n"]]) {
    it(`matches for every sample file with options [${options.join(" ")}]`, async () => {
      const expected = await exiftoolJson(
        files.map((name) => join(CORPUS_DIR, name)),
        options,
      );
      // One worker, files in the reference's order: ExifTool carries some state
      // from file to file within one process (after a Nikon file, XMP.xml gains
      // a Composite AutoFocus tag), so a warm worker equals exiftool run over the
      // same files in the same order, as the reference is.
      const extractor = new Extractor({ s3: local.s3, workers: 1, exiftoolOptions: options });
      const mismatches: string[] = [];
      try {
        const queue = [...files];
        const work = async (): Promise<void> => {
          for (let name = queue.shift(); name; name = queue.shift()) {
            const { metadata } = await extractor.extract({ bucket: "corpus", key: name });
            expect(metadata.SourceFile).to.equal(`s3://corpus/${name}`);
            const directory = options.length ? metadata["System:Directory"] : metadata.Directory;
            expect(directory).to.equal("s3://corpus");
            const actual = withoutLocalFileTags(metadata);
            const reference = withoutLocalFileTags(expected.get(name)!);
            const differing = [
              ...new Set([...Object.keys(actual), ...Object.keys(reference)]),
            ].filter((tag) => JSON.stringify(actual[tag]) !== JSON.stringify(reference[tag]));
            const shown = differing.map(
              (tag) =>
                `${tag}: engine ${JSON.stringify(actual[tag])}, local ${JSON.stringify(reference[tag])}`,
            );
            if (differing.length) mismatches.push(`${name}: ${shown.join("; ")}`);
          }
        };
        await work();
      } finally {
        await extractor.close();
      }
      expect(mismatches, mismatches.join("\n")).to.deep.equal([]);
    });
  }
});
