// The same handler answering S3 Batch Operations `LambdaInvoke` events, in
// both invocation schemas (recorded shapes from AWS's documentation, see
// fixtures/README.md), against the S3 emulator behind the logging,
// fault-injecting proxy.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "chai";
import {
  taskResult,
  type BatchOperationsEvent,
  type BatchOperationsTask,
} from "../../function/events/batch-operations";
import type { HandlerRuntime } from "../../function/handler";
import { localHandler } from "../support/local-handler";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { fixture, lambdaContext } from "../support/sqs-event";
import { capturingStdout, jsonLines } from "../support/stdout";

const jpeg = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));

/** A recorded invocation of `schema` with its one task replaced by `tasks`. */
function invocation(
  schema: "1.0" | "2.0",
  tasks: { bucket: string; s3Key: string; versionId?: string | null; taskId?: string }[],
): BatchOperationsEvent {
  const event = fixture<BatchOperationsEvent>(`batch-operations-${schema}.json`);
  const template = event.tasks[0];
  event.tasks = tasks.map(({ bucket, s3Key, versionId = null, taskId }, index) => {
    const task: BatchOperationsTask = {
      ...template,
      taskId: taskId ?? `task-${index}`,
      s3Key,
      s3VersionId: versionId,
    };
    if (schema === "1.0") task.s3BucketArn = `arn:aws:s3:::${bucket}`;
    else task.s3Bucket = bucket;
    return task;
  });
  return event;
}

describe("Lambda handler, S3 Batch Operations", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let runtime: HandlerRuntime;

  async function readJson(bucket: string, key: string): Promise<Record<string, unknown>> {
    const response = await local.direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await response.Body!.transformToString()) as Record<string, unknown>;
  }

  before(async () => {
    local = await startLocalS3(["uploads", "results", "otherbucket"]);
    runtime = localHandler(local, {
      EXIFTOOL_WORKERS: "2",
      EXIFTOOL_OPTIONS: JSON.stringify(["-G1"]),
    });
  });
  afterEach(() => {
    local.proxy.fault = undefined;
  });
  after(async () => {
    await runtime.close();
    await local.stop();
  });

  it("answers schema 2.0 as AWS documents: same ids, one Succeeded result per task, naming the result", async () => {
    await local.put("uploads", "photos/my photo.jpg", jpeg);
    await local.put("uploads", "raw key+1.jpg", jpeg);
    const event = invocation("2.0", [
      { bucket: "uploads", s3Key: "photos/my%20photo.jpg", taskId: "encoded" },
      // sent as it is: the decoded reading ("raw key 1.jpg") is not found, the raw one is
      { bucket: "uploads", s3Key: "raw key+1.jpg", taskId: "raw" },
    ]);
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(response).to.deep.equal({
      invocationSchemaVersion: "2.0",
      treatMissingKeysAs: "TemporaryFailure",
      invocationId: event.invocationId,
      results: [
        {
          taskId: "encoded",
          resultCode: "Succeeded",
          resultString: "s3://results/photos/my photo.jpg.json",
        },
        { taskId: "raw", resultCode: "Succeeded", resultString: "s3://results/raw key+1.jpg.json" },
      ],
    });
    // the answer has exactly the documented response's fields
    const documented = fixture<Record<string, unknown[]>>("batch-operations-response.json");
    expect(Object.keys(response).sort()).to.deep.equal(Object.keys(documented).sort());
    expect(Object.keys(response.results[0]).sort()).to.deep.equal(
      Object.keys(documented.results[0] as object).sort(),
    );

    const result = await readJson("results", "photos/my photo.jpg.json");
    expect(result).to.include({
      bucket: "uploads",
      key: "photos/my photo.jpg",
      size: jpeg.length,
      status: "extracted",
      exiftoolVersion: "13.59",
    });
    expect(result.eTag).to.match(/^[0-9a-f]{32}$/);
    expect(result.exiftoolOptions).to.deep.equal(["-G1"]);
    expect((result.metadata as Record<string, unknown>)["IFD0:Artist"]).to.equal("Phil Harvey");
    const answered = jsonLines(lines).find(
      (log) => log.message === "batch operations tasks answered",
    );
    expect(answered?.userArguments).to.deep.equal({ k1: "v1", k2: "v2" });
  });

  it("answers schema 1.0 (bucket ARN, URL-encoded key) and reads the version a task names", async () => {
    await local.put("uploads", "a+b.jpg", jpeg);
    const event = invocation("1.0", [
      { bucket: "uploads", s3Key: "a%2Bb.jpg", versionId: "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY" },
    ]);
    const { value: response } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(response.invocationSchemaVersion).to.equal("1.0");
    expect(response.results).to.deep.equal([
      { taskId: "task-0", resultCode: "Succeeded", resultString: "s3://results/a+b.jpg.json" },
    ]);
    const gets = local.proxy.getsOf("uploads", "a+b.jpg");
    expect(gets).to.not.be.empty;
    for (const get of gets) {
      expect(get.query.get("versionId")).to.equal("3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY");
    }
  });

  it("fails a task whose key reads as two existing objects, in both schemas, and stores no result for it", async () => {
    const png = readFileSync(join(CORPUS_DIR, "PNG.png"));
    await local.put("uploads", "both/a+b.jpg", jpeg);
    await local.put("uploads", "both/a b.jpg", png);
    await local.put("uploads", "both/100%25.jpg", jpeg);
    await local.put("uploads", "both/100%.jpg", png);
    await local.put("uploads", "both/only+plus.jpg", jpeg);
    for (const schema of ["1.0", "2.0"] as const) {
      const event = invocation(schema, [
        { bucket: "uploads", s3Key: "both/a+b.jpg", taskId: "plus" },
        { bucket: "uploads", s3Key: "both/100%25.jpg", taskId: "percent" },
        // one reading only: no doubt which object is meant
        { bucket: "uploads", s3Key: "both/only+plus.jpg", taskId: "single" },
      ]);
      const { value: response } = await capturingStdout(() =>
        runtime.handler(event, lambdaContext()),
      );
      expect(response.results.map((r) => [r.taskId, r.resultCode])).to.deep.equal([
        ["plus", "PermanentFailure"],
        ["percent", "PermanentFailure"],
        ["single", "Succeeded"],
      ]);
      expect(response.results[0].resultString).to.equal(
        "MalformedMessage: the event's key reads as two objects that both exist, " +
          "s3://uploads/both/a b.jpg and s3://uploads/both/a+b.jpg (URL-decoded or as sent): " +
          "neither is extracted; name the object unambiguously (a Batch Operations manifest lists keys URL-encoded)",
      );
      expect(response.results[1].resultString).to.match(
        /two objects that both exist, s3:\/\/uploads\/both\/100%\.jpg and s3:\/\/uploads\/both\/100%25\.jpg/,
      );
    }
    const listing = await local.direct.send(
      new ListObjectsV2Command({ Bucket: "results", Prefix: "both/" }),
    );
    expect((listing.Contents ?? []).map((item) => item.Key)).to.deep.equal([
      "both/only+plus.jpg.json",
    ]);
  });

  it("fails a missing key, a denied read and a malformed task permanently, each with its reason", async () => {
    await local.put("uploads", "locked.jpg", jpeg);
    local.proxy.fault = (request) =>
      request.key === "locked.jpg" ? { status: 403, code: "AccessDenied" } : undefined;
    const event = invocation("2.0", [
      { bucket: "uploads", s3Key: "never-uploaded.jpg" },
      { bucket: "uploads", s3Key: "locked.jpg" },
    ]);
    event.tasks.push({ taskId: "no-key", s3Bucket: "uploads" } as BatchOperationsTask);
    const { value: response } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(response.results.map((r) => [r.taskId, r.resultCode])).to.deep.equal([
      ["task-0", "PermanentFailure"],
      ["task-1", "PermanentFailure"],
      ["no-key", "PermanentFailure"],
    ]);
    expect(response.results[0].resultString).to.match(
      /^NotFound: not found: s3:\/\/uploads\/never-uploaded\.jpg/,
    );
    expect(response.results[1].resultString).to.match(
      /^AccessDenied: access denied to s3:\/\/uploads\/locked\.jpg/,
    );
    expect(response.results[2].resultString).to.equal("MalformedMessage: missing s3Key");
  });

  it("stores a result that says an archived object is archived, with its storage class, and fails the task permanently", async () => {
    await local.put("uploads", "cold/old.jpg", jpeg);
    // GetObject of an archived object: 403 InvalidObjectState, as S3 answers it
    local.proxy.fault = (request) =>
      request.method === "GET" && request.key === "cold/old.jpg"
        ? { status: 403, code: "InvalidObjectState", fields: { StorageClass: "DEEP_ARCHIVE" } }
        : undefined;
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(
        invocation("2.0", [{ bucket: "uploads", s3Key: "cold/old.jpg" }]),
        lambdaContext(),
      ),
    );
    expect(response.results[0].resultCode).to.equal("PermanentFailure");
    expect(response.results[0].resultString).to.match(
      /^Archived: archived \(DEEP_ARCHIVE\).*result at s3:\/\/results\/cold\/old\.jpg\.json$/,
    );
    const result = await readJson("results", "cold/old.jpg.json");
    expect(result).to.include({
      bucket: "uploads",
      key: "cold/old.jpg",
      status: "archived",
      storageClass: "DEEP_ARCHIVE",
      size: jpeg.length,
    });
    expect(result.metadata).to.deep.equal({});
    // one GET refused, then a HEAD for the size and ETag: no retries
    expect(local.proxy.getsOf("uploads", "cold/old.jpg")).to.have.length(1);
    const emf = jsonLines(lines).filter((entry) => "ObjectsArchived" in entry);
    expect(emf).to.have.length(1);
  });

  it("leaves the tasks it cannot start before the deadline as TemporaryFailure", async () => {
    await local.put("uploads", "late.jpg", jpeg);
    const { value: response } = await capturingStdout(() =>
      runtime.handler(
        invocation("2.0", [{ bucket: "uploads", s3Key: "late.jpg" }]),
        lambdaContext(3_000),
      ),
    );
    expect(response.results[0].resultCode).to.equal("TemporaryFailure");
    expect(response.results[0].resultString).to.match(/^DeadlineError: only \d+ ms left/);
    expect(local.proxy.getsOf("uploads", "late.jpg")).to.deep.equal([]);
  });

  it("refuses a task for another bucket without a request to it", async () => {
    await local.put("otherbucket", "private/secret.jpg", jpeg);
    const before = local.proxy.log.length;
    const { value: response } = await capturingStdout(() =>
      runtime.handler(
        invocation("2.0", [{ bucket: "otherbucket", s3Key: "private/secret.jpg" }]),
        lambdaContext(),
      ),
    );
    expect(response.results[0].resultCode).to.equal("PermanentFailure");
    expect(response.results[0].resultString).to.match(
      /^ForeignBucket: bucket otherbucket is not an upload bucket of this stack \(uploads\)/,
    );
    const requests = local.proxy.log.slice(before);
    expect(requests.filter((entry) => entry.bucket === "otherbucket")).to.deep.equal([]);
    expect(requests.filter((entry) => entry.bucket === "results")).to.deep.equal([]);
  });

  it("refuses an invocation it cannot answer, naming what is wrong", async () => {
    const event = invocation("2.0", [{ bucket: "uploads", s3Key: "x.jpg" }]);
    event.invocationSchemaVersion = "3.0";
    let error: Error | undefined;
    await capturingStdout(() => runtime.handler(event, lambdaContext())).catch(
      (caught: Error) => (error = caught),
    );
    expect(error?.message).to.match(/invocationSchemaVersion "3\.0" is not one of 1\.0, 2\.0/);
  });
  it("refuses a null event, one without tasks and a task without a string taskId, each by name", async () => {
    const refusal = async (event: unknown): Promise<string | undefined> => {
      let error: Error | undefined;
      await capturingStdout(() =>
        runtime.handler(event as BatchOperationsEvent, lambdaContext()),
      ).catch((caught: Error) => (error = caught));
      expect(error?.name).to.equal("MalformedMessageError");
      return error?.message;
    };
    expect(await refusal(null)).to.match(
      /^the event is neither an SQS batch \(Records\) nor an S3 Batch Operations invocation/,
    );
    const noTasks = invocation("2.0", []) as Partial<BatchOperationsEvent>;
    delete noTasks.tasks;
    expect(await refusal(noTasks)).to.equal("S3 Batch Operations tasks is not an array of objects");
    const missing = invocation("2.0", [{ bucket: "uploads", s3Key: "a.jpg" }]);
    delete (missing.tasks[0] as Partial<BatchOperationsTask>).taskId;
    expect(await refusal(missing)).to.equal(
      "S3 Batch Operations tasks[0].taskId is not a non-empty string",
    );
    const numeric = invocation("2.0", [
      { bucket: "uploads", s3Key: "a.jpg" },
      { bucket: "uploads", s3Key: "b.jpg" },
    ]);
    (numeric.tasks[1] as unknown as { taskId: number }).taskId = 7;
    expect(await refusal(numeric)).to.equal(
      "S3 Batch Operations tasks[1].taskId is not a non-empty string",
    );
  });

  it("cuts a long resultString between code points, never inside an emoji", () => {
    const { resultString } = taskResult("t", "PermanentFailure", "😀".repeat(600));
    expect(Array.from(resultString)).to.have.length(512);
    expect(resultString.endsWith("😀…")).to.equal(true);
    // no lone surrogate: the string survives a round trip through UTF-8
    expect(Buffer.from(resultString, "utf8").toString("utf8")).to.equal(resultString);
    expect(taskResult("t", "Succeeded", "short").resultString).to.equal("short");
    // a long reason is cut before the result's location, which stays whole
    const located = taskResult("t", "PermanentFailure", "x".repeat(600), "; result at s3://r/k");
    expect(Array.from(located.resultString)).to.have.length(512);
    expect(located.resultString).to.match(/x…; result at s3:\/\/r\/k$/);
  });
});
