// What the function must never touch, through its SQS path: a bucket the
// stack did not name (no request at all), an archived object (acknowledged,
// not retried into the DLQ), and an object at a result's place that the
// function did not write (never replaced).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { createHandler, type HandlerRuntime } from "../../function/handler";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from "../support/local-s3";
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";
import { capturingStdout, jsonLines } from "../support/stdout";

const jpeg = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));

describe("Lambda handler, boundaries", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let runtime: HandlerRuntime;

  const notify = (bucket: string, key: string, messageId: string) =>
    sqsEvent([sqsRecord(s3Notification([{ bucket, encodedKey: key }]), messageId)]);

  before(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
    local = await startLocalS3(["uploads", "results", "otherbucket"]);
    runtime = createHandler({
      ...process.env,
      AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
      AWS_REGION: "us-east-1",
      UPLOAD_BUCKETS: "uploads",
      RESULTS_BUCKET: "results",
      EXIFTOOL_WORKERS: "1",
      POWERTOOLS_SERVICE_NAME: "s3-exiftool-test",
    });
  });
  afterEach(() => {
    local.proxy.fault = undefined;
  });
  after(async () => {
    await runtime.close();
    await local.stop();
  });

  it("refuses a message about another bucket without a request to it: logged, counted, not retried", async () => {
    await local.put("otherbucket", "private/secret.jpg", jpeg);
    const before = local.proxy.log.length;
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(notify("otherbucket", "private/secret.jpg", "foreign"), lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    expect(local.proxy.log.slice(before)).to.deep.equal([]);
    const logs = jsonLines(lines);
    const refused = logs.find((log) => log.outcome === "foreign-bucket");
    expect(refused).to.include({ bucket: "otherbucket", key: "private/secret.jpg", level: "WARN" });
    expect(logs.some((entry) => entry.ForeignBucketRefused === 1)).to.equal(true);
  });

  it("acknowledges an archived object with a result that says so, instead of retrying it", async () => {
    await local.put("uploads", "glacier.jpg", jpeg);
    local.proxy.fault = (request) =>
      request.method === "GET" && request.key === "glacier.jpg"
        ? { status: 403, code: "InvalidObjectState", fields: { StorageClass: "GLACIER" } }
        : undefined;
    const { value: response } = await capturingStdout(() =>
      runtime.handler(notify("uploads", "glacier.jpg", "archived"), lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    const stored = await local.direct.send(
      new GetObjectCommand({ Bucket: "results", Key: "glacier.jpg.json" }),
    );
    const result = JSON.parse(await stored.Body!.transformToString());
    expect(result).to.include({ status: "archived", storageClass: "GLACIER" });
  });

  it("writes a new result only if none exists, and overwrites only its own, by ETag", async () => {
    await local.put("uploads", "conditional.jpg", jpeg);
    for (const id of ["first", "second"]) {
      const { value } = await capturingStdout(() =>
        runtime.handler(notify("uploads", "conditional.jpg", id), lambdaContext()),
      );
      expect(value.batchItemFailures).to.deep.equal([]);
    }
    const puts = local.proxy.log.filter(
      (entry) => entry.method === "PUT" && entry.key === "conditional.jpg.json",
    );
    expect(puts).to.have.length(2);
    expect(puts[0].headers["if-none-match"]).to.equal("*");
    expect(puts[0].headers["x-amz-meta-s3-exiftool-result"]).to.equal("1");
    // the overwrite names the ETag of the result it checked
    expect(puts[1].headers["if-match"]).to.equal(puts[0].responseHeaders.etag);
  });

  it("refuses to overwrite an object at a result's place that it did not write", async () => {
    await local.put("uploads", "app/settings", jpeg);
    const theirs = '{"theme":"dark"}';
    await local.direct.send(
      new PutObjectCommand({ Bucket: "results", Key: "app/settings.json", Body: theirs }),
    );
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(notify("uploads", "app/settings", "clash"), lambdaContext()),
    );
    // not silently dropped: the message fails, and ends in the DLQ after its retries
    expect(response.batchItemFailures).to.deep.equal([{ itemIdentifier: "clash" }]);
    const kept = await local.direct.send(
      new GetObjectCommand({ Bucket: "results", Key: "app/settings.json" }),
    );
    expect(await kept.Body!.transformToString()).to.equal(theirs);
    const failure = jsonLines(lines).find((log) => log.message === "failed");
    expect(failure).to.include({ failureType: "ResultConflict", disposition: "give-up" });
    expect((failure!.error as { message: string }).message).to.equal(
      "s3://results/app/settings.json exists and was not written by s3-exiftool " +
        "(no x-amz-meta-s3-exiftool-result): refusing to overwrite it",
    );
  });
});
