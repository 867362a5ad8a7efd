// An older version's metadata never replaces a newer one's result: the
// result records the Last-Modified and the event's sequencer of what it
// describes, and the sink compares them with the result already there. The
// emulator keeps one version per key, so the newer version's result is
// written first by the function's own sink, as the newer version's
// invocation would have written it; then the object's older reading comes
// through the handler, from SQS and from Batch Operations.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { BatchOperationsEvent } from "../../function/events/batch-operations";
import { ExifToolJson } from "../../function/exiftool/exiftool-json";
import type { HandlerRuntime } from "../../function/handler";
import { buildResult } from "../../function/results/result-record";
import { S3ResultSink } from "../../function/results/s3-result-sink";
import { compareSequencers, isOlder } from "../../function/results/version-order";
import { CORPUS_DIR } from "../../samples/synthetic";
import { localHandler } from "../support/local-handler";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { fixture, lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";
import { capturingStdout, jsonLines } from "../support/stdout";

const jpeg = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));

describe("version order of results", function () {
  this.timeout(60_000);

  it("compares sequencers as S3 documents: hex, the shorter right-padded with zeros", () => {
    expect(compareSequencers("0055AED6DCD90281E5", "0055AED6DCD90281E6")).to.equal(-1);
    expect(compareSequencers("0055AED6DCD90281E5", "0055aed6dcd90281e5")).to.equal(0);
    expect(compareSequencers("0055AED6DCD90281E5", "0055AED6DCD90281E500")).to.equal(0);
    expect(compareSequencers("0055AED6DCD90281F", "0055AED6DCD90281E5")).to.equal(1);
    const at = "2026-01-01T00:00:00.000Z";
    expect(isOlder({ lastModified: at }, { lastModified: "2026-01-01T00:00:01.000Z" })).to.equal(
      true,
    );
    expect(isOlder({ lastModified: at }, {})).to.equal(false);
    expect(isOlder({ lastModified: at, sequencer: "A1" }, { lastModified: at })).to.equal(false);
    expect(
      isOlder({ lastModified: at, sequencer: "A1" }, { lastModified: at, sequencer: "A2" }),
    ).to.equal(true);
  });

  describe("through the handler and the emulator", () => {
    let local: LocalS3;
    let runtime: HandlerRuntime;
    let sink: S3ResultSink;

    before(async () => {
      local = await startLocalS3(["uploads", "results"]);
      runtime = localHandler(local, { EXIFTOOL_WORKERS: "1" });
      sink = new S3ResultSink(local.s3, "results", "");
    });
    after(async () => {
      await runtime.close();
      await local.stop();
    });

    /** The object as S3 describes it now: the version the handler will read. */
    async function head(key: string) {
      const head = await local.direct.send(new HeadObjectCommand({ Bucket: "uploads", Key: key }));
      return { lastModified: head.LastModified!, eTag: head.ETag!.replace(/"/g, "") };
    }

    /** The newer version's result, as its own invocation's sink writes it. */
    async function newerResult(key: string, lastModified: Date, sequencer?: string) {
      await sink.write(
        buildResult(
          { bucket: "uploads", key },
          { size: 1, lastModified, eTag: '"newer"', sequencer },
          { version: "13.59", options: [] },
          new ExifToolJson('{"Newer":true}'),
        ),
      );
    }

    async function stored(key: string): Promise<Record<string, unknown>> {
      const object = await local.direct.send(
        new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }),
      );
      return JSON.parse(await object.Body!.transformToString()) as Record<string, unknown>;
    }

    function notification(key: string, eTag: string, sequencer: string): string {
      const body = JSON.parse(
        s3Notification([{ bucket: "uploads", encodedKey: key, size: jpeg.length, eTag }]),
      ) as { Records: { s3: { object: { sequencer: string } } }[] };
      body.Records[0].s3.object.sequencer = sequencer;
      return JSON.stringify(body);
    }

    it("SQS: a later Last-Modified, or a later sequencer within the same second, keeps its result", async () => {
      await local.put("uploads", "sqs.jpg", jpeg);
      const read = await head("sqs.jpg");
      await newerResult("sqs.jpg", new Date(read.lastModified.getTime() + 60_000));
      const { value: response, lines } = await capturingStdout(() =>
        runtime.handler(
          sqsEvent([sqsRecord(notification("sqs.jpg", read.eTag, "0055AED6DCD90281E5"))]),
          lambdaContext(),
        ),
      );
      // acknowledged: a retry could only read the same older version again
      expect(response.batchItemFailures).to.deep.equal([]);
      expect((await stored("sqs.jpg")).metadata).to.deep.equal({ Newer: true });
      const logged = jsonLines(lines).find((line) => line.outcome === "superseded");
      expect(logged?.failureType).to.equal("Superseded");
      expect(String(logged?.message)).to.match(
        /^skipped: s3:\/\/results\/sqs\.jpg\.json describes a newer version of s3:\/\/uploads\/sqs\.jpg \(last modified .*\) than the one read \(.*, sequencer 0055AED6DCD90281E5\): left as it is$/,
      );

      // same second: the sequencers decide, right-padded
      await local.put("uploads", "same.jpg", jpeg);
      const same = await head("same.jpg");
      await newerResult("same.jpg", same.lastModified, "0055AED6DCD90281E6");
      await capturingStdout(() =>
        runtime.handler(
          sqsEvent([sqsRecord(notification("same.jpg", same.eTag, "0055AED6DCD90281E5"))]),
          lambdaContext(),
        ),
      );
      expect((await stored("same.jpg")).metadata).to.deep.equal({ Newer: true });
      await capturingStdout(() =>
        runtime.handler(
          sqsEvent([sqsRecord(notification("same.jpg", same.eTag, "0055AED6DCD90281E61"))]),
          lambdaContext(),
        ),
      );
      const record = await stored("same.jpg");
      expect(record).to.include({ sequencer: "0055AED6DCD90281E61", eTag: same.eTag });
      expect(record.metadata).to.include({ FileType: "JPEG" });
    });

    it("Batch Operations: a task naming an older version fails permanently and keeps the newer result", async () => {
      await local.put("uploads", "batch.jpg", jpeg);
      const read = await head("batch.jpg");
      await newerResult("batch.jpg", new Date(read.lastModified.getTime() + 60_000));
      const event = fixture<BatchOperationsEvent>("batch-operations-2.0.json");
      event.tasks = [
        {
          ...event.tasks[0],
          taskId: "old",
          s3Bucket: "uploads",
          s3Key: "batch.jpg",
          s3VersionId: "old-version",
        },
      ];
      const { value: response } = await capturingStdout(() =>
        runtime.handler(event, lambdaContext()),
      );
      expect(response.results[0].resultCode).to.equal("PermanentFailure");
      expect(response.results[0].resultString).to.match(
        /^Superseded: s3:\/\/results\/batch\.jpg\.json describes a newer version of s3:\/\/uploads\/batch\.jpg/,
      );
      expect((await stored("batch.jpg")).metadata).to.deep.equal({ Newer: true });

      // the current version's task still replaces an older version's result
      await local.put("uploads", "current.jpg", jpeg);
      const current = await head("current.jpg");
      await newerResult("current.jpg", new Date(current.lastModified.getTime() - 60_000));
      event.tasks[0] = { ...event.tasks[0], taskId: "current", s3Key: "current.jpg" };
      const { value: again } = await capturingStdout(() => runtime.handler(event, lambdaContext()));
      expect(again.results[0].resultCode).to.equal("Succeeded");
      expect((await stored("current.jpg")).metadata).to.include({ FileType: "JPEG" });
    });
  });
});
