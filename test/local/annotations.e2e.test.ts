// `npm start`'s pipeline with the annotation destination: each upload's
// record is read back with GetObjectAnnotation (what S3 Metadata's
// annotation table shows), and nothing lands in the results bucket.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { GetObjectAnnotationCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { loadLocalSettings } from "../../local/config";
import { Outcomes } from "../../local/outcomes";
import { startPipeline, type Pipeline } from "../../local/pipeline";
import { uploadObject } from "../../local/upload";
import { corpusFiles, FAST } from "./support";

describe("local pipeline with results as annotations", () => {
  let pipeline: Pipeline | undefined;
  after(() => pipeline?.stop());

  it("reads each file's record back from its annotation", async () => {
    const base = loadLocalSettings("dev", FAST);
    const settings = {
      ...base,
      functionEnvironment: { ...base.functionEnvironment, RESULT_DESTINATION: "annotation" },
    };
    pipeline = await startPipeline({ settings, port: 0 });
    const outcomes = new Outcomes({
      s3: pipeline.direct,
      annotationClient: pipeline.s3,
      ...settings,
    });
    pipeline.onBatch(async (report) => void (await outcomes.record(report)));
    const files = corpusFiles(3);
    const keys = files.map((file) => `annotated/${path.basename(file)}`);
    const waiting = keys.map((key) => outcomes.next(key));
    for (const [i, file] of files.entries())
      await uploadObject(pipeline.s3, "uploads", keys[i]!, readFileSync(file));
    for (const [i, outcome] of (await Promise.all(waiting)).entries()) {
      const key = keys[i]!;
      expect(outcome).to.include({
        status: "stored",
        location: `annotation exiftool on s3://uploads/${key}`,
      });
      const payload = await (
        await pipeline.s3.send(
          new GetObjectAnnotationCommand({
            Bucket: "uploads",
            Key: key,
            AnnotationName: "exiftool",
          }),
        )
      ).AnnotationPayload!.transformToString();
      expect(outcome.status === "stored" && outcome.result).to.deep.equal(JSON.parse(payload));
      expect(JSON.parse(payload)).to.nested.include({
        key,
        "metadata.SourceFile": `s3://uploads/${key}`,
      });
    }
    const { Contents = [] } = await pipeline.direct.send(
      new ListObjectsV2Command({ Bucket: "results" }),
    );
    expect(Contents).to.deep.equal([]);
  });
});
