// --missing and --stale judge by the annotation when the stack writes
// annotations: the local S3's annotation API, the real selection code.
import { HeadObjectCommand, PutObjectAnnotationCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { selectObjects, type Selection, noCounts } from "../../commands/backfill/selection";
import { writtenAnnotation } from "../../function/config";
import type { Target } from "../../commands/backfill/target";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

describe("backfill selection by annotation", () => {
  let local: LocalS3;
  const target: Target = {
    uploadBucket: "uploads",
    resultsBucket: "results",
    resultsPrefix: "",
    filterPrefix: "",
    filterSuffix: "",
    exiftoolVersion: "13.59",
    exiftoolOptions: ["-n"],
    annotationName: "exiftool",
  };

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    for (const key of [
      "current.jpg",
      "missing.jpg",
      "old-exiftool.jpg",
      "other-options.jpg",
      "other-name.jpg",
    ])
      await local.put("uploads", key, Buffer.from(key));
    const annotate = async (key: string, fields: Record<string, unknown>, name = "exiftool") => {
      const head = await local.direct.send(new HeadObjectCommand({ Bucket: "uploads", Key: key }));
      const eTag = head.ETag!.replace(/"/g, "");
      await local.s3.send(
        new PutObjectAnnotationCommand({
          Bucket: "uploads",
          Key: key,
          AnnotationName: name,
          AnnotationPayload: JSON.stringify({
            eTag,
            exiftoolVersion: "13.59",
            exiftoolOptions: ["-n"],
            ...fields,
          }),
        }),
      );
    };
    await annotate("current.jpg", {});
    await annotate("old-exiftool.jpg", { exiftoolVersion: "12.00" });
    await annotate("other-options.jpg", { exiftoolOptions: [] });
    // an annotation of another name is not ours
    await annotate("other-name.jpg", {}, "exiftool.v0");
  });
  after(() => local.stop());

  async function select(selection: Selection, judged: Target = target) {
    const counts = noCounts();
    const keys: string[] = [];
    for await (const object of selectObjects(
      local.s3,
      judged,
      { selection, concurrency: 4 },
      counts,
    ))
      keys.push(object.key);
    return { keys: keys.sort(), counts };
  }

  it("--missing picks objects without the annotation; --stale adds those of another ExifTool or options", async () => {
    expect((await select("missing")).keys).to.deep.equal(["missing.jpg", "other-name.jpg"]);
    const stale = await select("stale");
    expect(stale.keys).to.deep.equal([
      "missing.jpg",
      "old-exiftool.jpg",
      "other-name.jpg",
      "other-options.jpg",
    ]);
    expect(stale.counts).to.include({ listed: 5, missing: 2, stale: 2, current: 1 });
  });

  it("reads annotations only when the stack's destination writes them", async () => {
    expect(writtenAnnotation(undefined, undefined)).to.equal(undefined);
    expect(writtenAnnotation("bucket", "x")).to.equal(undefined);
    expect(writtenAnnotation("annotation", undefined)).to.equal("exiftool");
    expect(writtenAnnotation("both", "media.exif")).to.equal("media.exif");
    // judged by the (empty) results bucket instead, every object is missing
    const byBucket = await select("missing", { ...target, annotationName: undefined });
    expect(byBucket.counts).to.include({ missing: 5 });
  });
});
