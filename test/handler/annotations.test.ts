// Results as S3 annotations (RESULT_DESTINATION=annotation|both), through
// the real handler and the local S3's annotation API: the annotation is the
// record the results bucket stores, on one line; an overwritten object never
// gets an older version's metadata; a record over 1 MiB is whole in the
// bucket and pointed to; each of S3's refusals is a typed outcome with
// nothing lost and no retry.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  GetObjectAnnotationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectAnnotationCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { HandlerRuntime } from "../../function/handler";
import { judge } from "../../function/outcomes/failure-policy";
import { compactJson } from "../../function/results/annotation-payload";
import { AnnotationResultSink, AnnotationWriteError } from "../../function/results/annotation-sink";
import { buildResult, NO_METADATA } from "../../function/results/result-record";
import { S3ResultSink } from "../../function/results/s3-result-sink";
import { CORPUS_DIR } from "../../samples/synthetic";
import { tinyPng } from "../../scripts/tiny-png";
import { localHandler } from "../support/local-handler";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";
import { capturingStdout, jsonLines } from "../support/stdout";

const CAMERA_DIR = join(CORPUS_DIR, "..", "camera-photos");

describe("results as S3 annotations", function () {
  this.timeout(300_000);
  let local: LocalS3;
  const runtimes: HandlerRuntime[] = [];
  const handlerFor = (destination: string): HandlerRuntime => {
    const runtime = localHandler(local, { RESULT_DESTINATION: destination, EXIFTOOL_WORKERS: "2" });
    runtimes.push(runtime);
    return runtime;
  };

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
  });
  afterEach(() => {
    local.proxy.fault = undefined;
  });
  after(async () => {
    for (const runtime of runtimes) await runtime.close();
    await local.stop();
  });

  const notify = (keys: string[], eTag?: string) =>
    sqsEvent(
      keys.map((key) =>
        sqsRecord(
          s3Notification([{ bucket: "uploads", encodedKey: encodeURIComponent(key), eTag }]),
        ),
      ),
    );
  const annotation = (key: string) =>
    local.s3
      .send(
        new GetObjectAnnotationCommand({ Bucket: "uploads", Key: key, AnnotationName: "exiftool" }),
      )
      .then((answer) => answer.AnnotationPayload!.transformToString());
  const bucketRecord = (key: string) =>
    local.direct
      .send(new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }))
      .then((answer) => answer.Body!.transformToString());
  const resultKeys = async (prefix: string) =>
    (
      (await local.direct.send(new ListObjectsV2Command({ Bucket: "results", Prefix: prefix })))
        .Contents ?? []
    ).map((object) => object.Key!);

  it("both: every sample and camera photo ends with an annotation equal to the bucket's record, on one line", async () => {
    const files = [
      ...readdirSync(CORPUS_DIR).map((name) => join(CORPUS_DIR, name)),
      ...readdirSync(CAMERA_DIR).map((name) => join(CAMERA_DIR, name)),
    ];
    expect(files).to.have.length(194 + 45);
    const keys = files.map((file, i) => `all/${i}-${file.split("/").pop()}`);
    for (const [i, file] of files.entries())
      await local.put("uploads", keys[i]!, readFileSync(file));
    const runtime = handlerFor("both");
    const { value: response } = await capturingStdout(() =>
      runtime.handler(notify(keys), lambdaContext(280_000)),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    for (const key of keys) {
      const [stored, annotated] = [await bucketRecord(key), await annotation(key)];
      // the same record (timestamps included): written once, stored twice
      expect(annotated, key).to.equal(compactJson(stored));
      expect(annotated).to.not.include("\n");
      expect(JSON.parse(annotated)).to.deep.equal(JSON.parse(stored));
    }
    // each annotation was written on the version read, pinned to the ETag read
    const writes = local.proxy.log.filter((e) => e.method === "PUT" && e.query.has("annotation"));
    expect(writes).to.have.length(keys.length);
    for (const write of writes.slice(0, 5)) {
      const head = await local.direct.send(
        new HeadObjectCommand({ Bucket: "uploads", Key: write.key }),
      );
      expect(write.headers["x-amz-object-if-match"]).to.equal(head.ETag);
    }
  });

  it("annotation: no result object, and a late notification of an overwritten object annotates the object as it is now", async () => {
    const first = readFileSync(join(CORPUS_DIR, "Canon.jpg"));
    const second = readFileSync(join(CORPUS_DIR, "Nikon.jpg"));
    await local.direct.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "two/photo.jpg", Body: first }),
    );
    const { ETag: oldETag } = await local.direct.send(
      new HeadObjectCommand({ Bucket: "uploads", Key: "two/photo.jpg" }),
    );
    await local.direct.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "two/photo.jpg", Body: second }),
    );
    const { ETag: newETag } = await local.direct.send(
      new HeadObjectCommand({ Bucket: "uploads", Key: "two/photo.jpg" }),
    );
    const runtime = handlerFor("annotation");
    // the first upload's notification arrives after the overwrite
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(notify(["two/photo.jpg"], oldETag!.replace(/"/g, "")), lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    // the dashboard's count of annotations written
    const emf = jsonLines(lines.filter((line) => line.startsWith("{"))).find((l) => "_aws" in l);
    expect(emf).to.include({ AnnotationsWritten: 1, ObjectsProcessed: 1 });
    const record = JSON.parse(await annotation("two/photo.jpg")) as {
      eTag: string;
      size: number;
      metadata: { Make: string };
    };
    expect(record.eTag).to.equal(newETag!.replace(/"/g, ""));
    expect(record.size).to.equal(second.length);
    expect(record.metadata.Make).to.match(/NIKON/i);
    expect(await resultKeys("two/")).to.deep.equal([]);
  });

  it("an annotation write after the object was replaced is refused by its ETag pin and retried, never stored", async () => {
    await local.direct.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "race.jpg", Body: "v1" }),
    );
    const head = await local.direct.send(
      new HeadObjectCommand({ Bucket: "uploads", Key: "race.jpg" }),
    );
    const record = buildResult(
      { bucket: "uploads", key: "race.jpg" },
      { size: 2, lastModified: new Date(), eTag: head.ETag },
      { version: "13.59", options: [] },
      NO_METADATA,
    );
    await local.direct.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "race.jpg", Body: "v2!" }),
    );
    const sink = new AnnotationResultSink(
      local.s3,
      "exiftool",
      new S3ResultSink(local.s3, "results", ""),
      false,
    );
    const error = await sink.write(record).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AnnotationWriteError);
    expect(judge(error)).to.include({
      disposition: "retry",
      failureType: "AnnotationObjectChanged",
    });
    expect(await annotation("race.jpg").catch((e: Error) => e.name)).to.equal("NoSuchAnnotation");
  });

  it("a record over 1 MiB is whole in the results bucket, and its annotation points to it", async () => {
    await local.put("uploads", "big/comment.png", tinyPng("a".repeat(1_200_000)));
    const runtime = handlerFor("annotation");
    const { value: response } = await capturingStdout(() =>
      runtime.handler(notify(["big/comment.png"]), lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    const full = JSON.parse(await bucketRecord("big/comment.png")) as {
      metadata: { Comment: string };
      extractedAt: string;
    };
    expect(full.metadata.Comment).to.have.length(1_200_000);
    const pointer = JSON.parse(await annotation("big/comment.png")) as Record<string, unknown>;
    expect(pointer).to.not.have.property("metadata");
    expect(pointer).to.include({
      bucket: "uploads",
      key: "big/comment.png",
      extractedAt: full.extractedAt,
    });
    expect(pointer.metadataStoredAt).to.deep.include({
      bucket: "results",
      key: "big/comment.png.json",
    });
  });

  describe("S3's refusals: a typed outcome, the record in the results bucket, no retry", () => {
    async function processLogged(key: string): Promise<Record<string, unknown>[]> {
      const runtime = handlerFor("annotation");
      const { value, lines } = await capturingStdout(() =>
        runtime.handler(notify([key]), lambdaContext()),
      );
      expect(value.batchItemFailures, "acknowledged, not retried").to.deep.equal([]);
      expect(JSON.parse(await bucketRecord(key))).to.include({ key });
      return jsonLines(lines.filter((line) => line.startsWith("{")));
    }

    it("invalid UTF-8 (S3's 415)", async () => {
      await local.put("uploads", "refused/utf8.jpg", readFileSync(join(CORPUS_DIR, "Canon.jpg")));
      // the handler's payload is always valid UTF-8, so S3's answer is injected
      local.proxy.fault = (request) =>
        request.query.has("annotation") && request.method === "PUT"
          ? { status: 415, code: "UnsupportedMediaType" }
          : undefined;
      const logs = await processLogged("refused/utf8.jpg");
      expect(logs.find((log) => log.outcome === "annotation-refused")).to.include({
        failureType: "AnnotationUnsupportedMediaType",
      });
    });

    it("an SSE-C object", async () => {
      await local.s3.send(
        new PutObjectCommand({
          Bucket: "uploads",
          Key: "refused/sse-c.jpg",
          Body: readFileSync(join(CORPUS_DIR, "Canon.jpg")),
          SSECustomerAlgorithm: "AES256",
          SSECustomerKey: "k".repeat(32),
        }),
      );
      const logs = await processLogged("refused/sse-c.jpg");
      expect(logs.find((log) => log.outcome === "annotation-refused")).to.include({
        failureType: "AnnotationInvalidRequest",
      });
    });

    it("a full annotation set (1,000 already)", async () => {
      await local.put("uploads", "refused/full.jpg", readFileSync(join(CORPUS_DIR, "Canon.jpg")));
      for (let start = 0; start < 1000; start += 100) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            local.s3.send(
              new PutObjectAnnotationCommand({
                Bucket: "uploads",
                Key: "refused/full.jpg",
                AnnotationName: `other-${start + i}`,
                AnnotationPayload: "x",
              }),
            ),
          ),
        );
      }
      const logs = await processLogged("refused/full.jpg");
      expect(logs.find((log) => log.outcome === "annotation-refused")).to.include({
        failureType: "AnnotationAnnotationLimitExceeded",
      });
    });
  });

  it("a deleted object or a missing version: acknowledged as deleted, nothing written", async () => {
    const sink = new AnnotationResultSink(
      local.s3,
      "exiftool",
      new S3ResultSink(local.s3, "results", ""),
      false,
    );
    await local.put("uploads", "versions/kept.jpg", Buffer.from("x"));
    const cases = [
      { key: "versions/deleted.jpg", versionId: undefined },
      { key: "versions/kept.jpg", versionId: "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd" },
    ];
    for (const { key, versionId } of cases) {
      const record = buildResult(
        { bucket: "uploads", key },
        { size: 1, lastModified: new Date(), versionId },
        { version: "13.59", options: [] },
        NO_METADATA,
      );
      const error = await sink.write(record).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, key).to.be.instanceOf(AnnotationWriteError);
      expect(judge(error), key).to.include({
        disposition: "acknowledge",
        outcome: "deleted-before-write",
      });
    }
    expect(await resultKeys("versions/")).to.deep.equal([]);
  });
});
