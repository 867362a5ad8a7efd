// Removal notifications (ObjectRemoved:Delete, ObjectRemoved:DeleteMarkerCreated)
// delete the removed object's result, conditionally: never a re-upload's
// fresh result, never an object the function did not write.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { HandlerRuntime } from "../../function/handler";
import { CORPUS_DIR } from "../../samples/synthetic";
import { localHandler } from "../support/local-handler";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";
import { capturingStdout, jsonLines } from "../support/stdout";

describe("removal notifications", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let bucketRuntime: HandlerRuntime;
  let annotationRuntime: HandlerRuntime;
  const first = readFileSync(join(CORPUS_DIR, "Canon.jpg"));
  const second = readFileSync(join(CORPUS_DIR, "Nikon.jpg"));

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    bucketRuntime = localHandler(local, { EXIFTOOL_WORKERS: "1" });
    annotationRuntime = localHandler(local, {
      EXIFTOOL_WORKERS: "1",
      RESULT_DESTINATION: "annotation",
    });
  });
  after(async () => {
    await bucketRuntime.close();
    await annotationRuntime.close();
    await local.stop();
  });

  const event = (key: string, eventName: string) => {
    const body = JSON.parse(s3Notification([{ bucket: "uploads", encodedKey: key }])) as {
      Records: { eventName: string }[];
    };
    body.Records[0]!.eventName = eventName;
    return sqsEvent([sqsRecord(JSON.stringify(body))]);
  };
  async function deliver(runtime: HandlerRuntime, key: string, eventName: string) {
    const { value, lines } = await capturingStdout(() =>
      runtime.handler(event(key, eventName), lambdaContext()),
    );
    expect(value.batchItemFailures).to.deep.equal([]);
    return jsonLines(lines.filter((line) => line.startsWith("{"))).find(
      (log) => log.message === "removal" || log.message === "stored",
    )!;
  }
  const results = async (prefix: string) =>
    (
      (await local.direct.send(new ListObjectsV2Command({ Bucket: "results", Prefix: prefix })))
        .Contents ?? []
    ).map((object) => object.Key!);
  const resultETag = async (key: string) =>
    (
      JSON.parse(
        await (
          await local.direct.send(new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }))
        ).Body!.transformToString(),
      ) as { eTag: string }
    ).eTag;

  it("deletes the result of a deleted object (Delete and DeleteMarkerCreated)", async () => {
    for (const eventName of ["ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated"]) {
      await local.put("uploads", "gone/photo.jpg", first);
      await deliver(bucketRuntime, "gone/photo.jpg", "ObjectCreated:Put");
      expect(await results("gone/")).to.deep.equal(["gone/photo.jpg.json"]);
      await local.direct.send(
        new DeleteObjectCommand({ Bucket: "uploads", Key: "gone/photo.jpg" }),
      );
      const log = await deliver(bucketRuntime, "gone/photo.jpg", eventName);
      expect(log, eventName).to.include({ outcome: "deleted", result: "gone/photo.jpg.json" });
      expect(await results("gone/"), eventName).to.deep.equal([]);
    }
  });

  it("keeps a re-upload's fresh result when the removal arrives late", async () => {
    await local.put("uploads", "again/photo.jpg", first);
    await deliver(bucketRuntime, "again/photo.jpg", "ObjectCreated:Put");
    await local.direct.send(new DeleteObjectCommand({ Bucket: "uploads", Key: "again/photo.jpg" }));
    await local.put("uploads", "again/photo.jpg", second);
    await deliver(bucketRuntime, "again/photo.jpg", "ObjectCreated:Put");
    const fresh = await resultETag("again/photo.jpg");
    // the delete's notification, delivered after the re-upload's
    const log = await deliver(bucketRuntime, "again/photo.jpg", "ObjectRemoved:Delete");
    expect(log).to.include({ outcome: "kept-current" });
    expect(await resultETag("again/photo.jpg")).to.equal(fresh);
  });

  it("deletes a result that describes neither the removed object's successor nor anything current", async () => {
    await local.put("uploads", "stale/photo.jpg", first);
    await deliver(bucketRuntime, "stale/photo.jpg", "ObjectCreated:Put");
    // re-uploaded, its own notification still queued: the result describes the old object
    await local.put("uploads", "stale/photo.jpg", second);
    const log = await deliver(bucketRuntime, "stale/photo.jpg", "ObjectRemoved:Delete");
    expect(log).to.include({ outcome: "deleted" });
    // the re-upload's notification then stores the right one
    await deliver(bucketRuntime, "stale/photo.jpg", "ObjectCreated:Put");
    expect(await results("stale/")).to.deep.equal(["stale/photo.jpg.json"]);
  });

  it("never deletes an object it did not write, and does nothing with annotations only", async () => {
    await local.direct.send(
      new PutObjectCommand({ Bucket: "results", Key: "theirs/photo.jpg.json", Body: "{}" }),
    );
    const log = await deliver(bucketRuntime, "theirs/photo.jpg", "ObjectRemoved:Delete");
    expect(log).to.include({ outcome: "kept-foreign" });
    expect(await results("theirs/")).to.deep.equal(["theirs/photo.jpg.json"]);

    await local.put("uploads", "annotated/photo.jpg", first);
    await deliver(bucketRuntime, "annotated/photo.jpg", "ObjectCreated:Put");
    const before = local.proxy.log.length;
    const annotated = await deliver(
      annotationRuntime,
      "annotated/photo.jpg",
      "ObjectRemoved:Delete",
    );
    expect(annotated).to.include({ outcome: "annotations-removed-by-s3" });
    expect(local.proxy.log.slice(before)).to.deep.equal([]);
  });
});
