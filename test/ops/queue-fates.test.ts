// What a local backfill counts as its own objects' fates, read from the
// records the function's own result sink writes on the local S3.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { QueueFates } from "../../commands/backfill/queue-fates";
import { ExifToolJson } from "../../function/exiftool/exiftool-json";
import { buildResult, failedResult } from "../../function/results/result-record";
import { S3ResultSink } from "../../function/results/s3-result-sink";
import type { Pipeline } from "../../local/pipeline";
import { startTestPipeline } from "../local/support";

describe("local backfill: which records are this run's", () => {
  let pipeline: Pipeline;
  before(async () => {
    pipeline = await startTestPipeline();
  });
  after(() => pipeline.stop());

  const exiftool = { version: "13.59", options: [] };
  const object = { size: 1, lastModified: new Date(), eTag: "e" };
  const source = (key: string) => ({ bucket: "uploads", key });

  it("a result from before the run leaves it waiting; one written since counts stored, a recorded failure failed", async () => {
    const { uploadBucket, resultsBucket, deadLetterQueueUrl } = pipeline.topology;
    for (const key of ["done-before.jpg", "fails.jpg"]) {
      await pipeline.direct.send(
        new PutObjectCommand({ Bucket: uploadBucket, Key: key, Body: key }),
      );
    }
    const sink = new S3ResultSink(pipeline.direct, resultsBucket, "");
    const extracted = buildResult(
      source("done-before.jpg"),
      object,
      exiftool,
      new ExifToolJson("{}"),
    );
    // written just before the run starts (most likely within the same second)
    await sink.write(extracted);

    const fates = await QueueFates.start(pipeline.s3, pipeline.sqs, deadLetterQueueUrl, {
      uploadBucket,
      resultsBucket,
      resultsPrefix: "",
    });
    fates.announced("done-before.jpg", "0001");
    fates.announced("fails.jpg", "0002");
    expect(await fates.update()).to.deep.equal({ stored: 0, failed: 0, waiting: 2 });

    await sink.write(extracted);
    const limits = { objectTimeoutMs: 1000, maxWorkerRssMb: 512, exiftoolWorkers: 2 };
    await sink.write(
      failedResult(source("fails.jpg"), object, exiftool, {
        type: "Timeout",
        message: "slow",
        limits,
      }),
    );
    expect(await fates.update()).to.deep.equal({ stored: 1, failed: 1, waiting: 0 });
    expect(fates.failures).to.deep.equal([
      { key: "fails.jpg", deadLettered: false, reason: "its result records a failure (Timeout)" },
    ]);
  });
});
