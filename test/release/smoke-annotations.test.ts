// The deploy stage's smoke test when the function writes annotations: the
// run's record is read back with GetObjectAnnotation on the uploaded object.
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { loadLocalSettings } from "../../local/config";
import { startPipeline, type Pipeline } from "../../local/pipeline";
import { smokeTest } from "../../scripts/release/smoke";
import { FAST } from "../local/support";

describe("smoke test with the annotation destination", function () {
  this.timeout(60_000);
  let pipeline: Pipeline | undefined;
  after(() => pipeline?.stop());

  it("finds the run's record in the object's annotation, and none in the results bucket", async () => {
    const base = loadLocalSettings("dev", FAST);
    pipeline = await startPipeline({
      settings: {
        ...base,
        functionEnvironment: { ...base.functionEnvironment, RESULT_DESTINATION: "annotation" },
      },
      port: 0,
    });
    const lines: string[] = [];
    const target = {
      uploadBucket: "uploads",
      resultsBucket: "results",
      resultsPrefix: "",
      filterPrefix: base.filterPrefix,
      filterSuffix: base.filterSuffix,
    };
    const result = await smokeTest({
      s3: pipeline.s3,
      target: { ...target, annotationName: "exiftool" },
      timeoutMs: 30_000,
      pollMs: 100,
      log: (line) => lines.push(line),
    });
    expect(lines[0]).to.include(`waiting for annotation exiftool on s3://uploads/${result.key}`);
    expect(lines.at(-1)).to.match(/^result found after \d+ ms/);
    const { Contents = [] } = await pipeline.direct.send(
      new ListObjectsV2Command({ Bucket: "results" }),
    );
    expect(Contents).to.deep.equal([]);
    // judged by the results bucket, the same run finds nothing
    const failure = await smokeTest({ s3: pipeline.s3, target, timeoutMs: 1500, pollMs: 100 }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).to.match(/^no result at s3:\/\/results\//);
  });
});
