// The exported handler, driven with real SQS event shapes against the S3
// emulator: every object of every message processed, results stored, only
// retryable failures reported, structured logs and EMF metrics.
import { noise } from "../support/noise";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { expect } from "chai";
import { createHandler, type HandlerRuntime } from "../../function/handler";
import { Extractor } from "../../function/extractor";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from "../support/local-s3";
import { fixture, lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";
import { capturingStdout } from "../support/stdout";

const jpeg = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));

function failedIds(response: SQSBatchResponse): string[] {
  return response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
}

describe("Lambda handler", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let runtime: HandlerRuntime;
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    RESULTS_BUCKET: "results",
    UPLOAD_BUCKETS: "uploads",
    EXIFTOOL_WORKERS: "2",
    POWERTOOLS_SERVICE_NAME: "s3-exiftool-test",
    ...extra,
  });

  async function readResult(bucket: string, key: string): Promise<Record<string, unknown>> {
    const response = await local.direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await response.Body!.transformToString()) as Record<string, unknown>;
  }

  async function keys(bucket: string, prefix = ""): Promise<string[]> {
    const listing = await local.direct.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }),
    );
    return (listing.Contents ?? []).map((item) => item.Key!).sort();
  }

  before(async () => {
    // the SDK's default credential chain reads these from the process environment
    process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
    local = await startLocalS3(["uploads", "results"]);
    runtime = createHandler(env());
  });
  afterEach(() => {
    local.proxy.fault = undefined;
  });
  after(async () => {
    await runtime.close();
    await local.stop();
  });

  it("processes every record of every message, decoding keys, and stores results the engine produced", async () => {
    const uploads = {
      "photos/my photo.jpg": "photos/my+photo.jpg",
      "a+b.jpg": "a%2Bb.jpg",
      "100%.jpg": "100%25.jpg",
      "café/été.jpg": "caf%C3%A9/%C3%A9t%C3%A9.jpg",
      // EventBridge carries keys as they are (a recorded event shows a raw ":")
      "eb/raw key+1:2.jpg": "eb/raw key+1:2.jpg",
      // ... and an encoded one is still found, through the decoded reading
      "eb/encoded key.jpg": "eb/encoded+key.jpg",
    };
    for (const key of Object.keys(uploads)) await local.put("uploads", key, jpeg);
    const eventBridge = fixture<{ detail: { bucket: { name: string }; object: { key: string } } }>(
      "eventbridge-object-created.json",
    );
    eventBridge.detail.bucket.name = "uploads";
    eventBridge.detail.object.key = uploads["eb/raw key+1:2.jpg"];
    const encodedEventBridge = structuredClone(eventBridge);
    encodedEventBridge.detail.object.key = uploads["eb/encoded key.jpg"];
    const event = sqsEvent([
      sqsRecord(
        s3Notification([
          { bucket: "uploads", encodedKey: uploads["photos/my photo.jpg"] },
          { bucket: "uploads", encodedKey: uploads["a+b.jpg"] },
        ]),
      ),
      sqsRecord(
        s3Notification([
          { bucket: "uploads", encodedKey: uploads["100%.jpg"] },
          { bucket: "uploads", encodedKey: uploads["café/été.jpg"] },
        ]),
      ),
      sqsRecord(JSON.stringify(fixture("s3-test-event.json"))),
      sqsRecord(JSON.stringify(eventBridge)),
      sqsRecord(JSON.stringify(encodedEventBridge)),
    ]);

    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    expect(await keys("results")).to.deep.equal(
      Object.keys(uploads)
        .map((key) => `${key}.json`)
        .sort(),
    );

    const reference = new Extractor({ s3: local.s3, workers: 1 });
    try {
      for (const key of Object.keys(uploads)) {
        const result = await readResult("results", `${key}.json`);
        const { metadata, object } = await reference.extract({ bucket: "uploads", key });
        expect(result).to.include({
          bucket: "uploads",
          key,
          size: jpeg.length,
          eTag: object.eTag!.replace(/"/g, ""),
          exiftoolVersion: "13.59",
        });
        expect(result.lastModified).to.equal(object.lastModified.toISOString());
        expect(Date.parse(String(result.extractedAt))).to.be.above(0);
        expect(result.metadata).to.deep.equal(metadata);
      }
    } finally {
      await reference.close();
    }

    const logs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const stored = logs.filter((log) => log.message === "stored");
    expect(stored).to.have.length(6);
    for (const log of stored) {
      expect(log).to.include.keys("key", "size", "bytesRead", "durationMs", "outcome");
      expect(log.level).to.equal("INFO");
    }
    expect(logs.some((log) => log.message === "s3:TestEvent acknowledged")).to.equal(true);
  });

  it("reports exactly the 3 messages of a batch of 10 whose objects fail retryably", async () => {
    const records: SQSRecord[] = [];
    for (let i = 0; i < 10; i++) {
      const key = i < 3 ? `throttled-${i}.jpg` : `fine-${i}.jpg`;
      await local.put("uploads", key, jpeg);
      records.push(
        sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: key }]), `batch-${i}`),
      );
    }
    local.proxy.fault = (request) =>
      request.method === "GET" && request.key.startsWith("throttled-")
        ? { status: 503, code: "SlowDown" }
        : undefined;
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(sqsEvent(records), lambdaContext()),
    );
    expect(failedIds(response)).to.deep.equal(["batch-0", "batch-1", "batch-2"]);
    expect(await keys("results", "fine-")).to.have.length(7);

    const failures = lines
      .map((line) => JSON.parse(line))
      .filter((log) => log.message === "failed");
    expect(failures.map((log) => log.failureType)).to.deep.equal([
      "Throttled",
      "Throttled",
      "Throttled",
    ]);
  });

  it("reports none for the non-retryable cases: deleted object, unparseable file", async () => {
    await local.put("uploads", "noise.bin", noise(4096));
    const event = sqsEvent([
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "deleted-before-read.jpg" }])),
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "noise.bin" }])),
    ]);
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    expect(await keys("results", "deleted-before-read")).to.deep.equal([]);
    const unknown = await readResult("results", "noise.bin.json");
    expect((unknown.metadata as Record<string, unknown>).Error).to.equal("Unknown file type");
    const deleted = lines
      .map((line) => JSON.parse(line))
      .find((log) => log.key === "deleted-before-read.jpg");
    expect(deleted.outcome).to.equal("deleted-before-read");
  });

  it("overwrites the same result when a message is processed twice, and says when a notification is stale", async () => {
    await local.put("uploads", "twice.jpg", jpeg);
    const body = s3Notification([
      { bucket: "uploads", encodedKey: "twice.jpg", eTag: "0123456789abcdef0123456789abcdef" },
    ]);
    const first = await capturingStdout(() =>
      runtime.handler(sqsEvent([sqsRecord(body)]), lambdaContext()),
    );
    const firstResult = await readResult("results", "twice.jpg.json");
    const second = await capturingStdout(() =>
      runtime.handler(sqsEvent([sqsRecord(body)]), lambdaContext()),
    );
    const secondResult = await readResult("results", "twice.jpg.json");
    expect(first.value.batchItemFailures).to.deep.equal([]);
    expect(second.value.batchItemFailures).to.deep.equal([]);
    expect(await keys("results", "twice")).to.deep.equal(["twice.jpg.json"]);
    expect(secondResult.metadata).to.deep.equal(firstResult.metadata);
    // written twice: the second PUT replaces the first result, conditional on its ETag
    const puts = local.proxy.log.filter(
      (entry) =>
        entry.method === "PUT" && entry.bucket === "results" && entry.key === "twice.jpg.json",
    );
    expect(puts.map((entry) => entry.status)).to.deep.equal([200, 200]);
    expect(puts[0]!.headers["if-none-match"]).to.equal("*");
    expect(puts[1]!.headers["if-match"])
      .to.be.a("string")
      .that.equals(puts[0]!.responseHeaders.etag);
    // the notification named another version: the result describes the object as it is now
    const stored = first.lines
      .map((line) => JSON.parse(line))
      .find((log) => log.message === "stored");
    expect(stored.staleNotification).to.equal(true);
    expect(firstResult.eTag).to.not.equal("0123456789abcdef0123456789abcdef");
  });

  it("acknowledges other S3 event types with a log line and no result", async () => {
    const removed = JSON.parse(s3Notification([{ bucket: "uploads", encodedKey: "gone.jpg" }]));
    removed.Records[0].eventName = "ObjectRestore:Completed";
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(sqsEvent([sqsRecord(JSON.stringify(removed))]), lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    expect(await keys("results", "gone")).to.deep.equal([]);
    const skipped = lines
      .map((line) => JSON.parse(line))
      .find((log) => log.message === "record skipped");
    expect(skipped.reason).to.match(/ObjectRestore:Completed, not ObjectCreated or ObjectRemoved/);
  });

  it("never lets a result re-trigger processing when results share the upload bucket", async () => {
    const sameBucket = createHandler(
      env({ RESULTS_BUCKET: "uploads", RESULTS_PREFIX: "exiftool/" }),
    );
    try {
      await local.put("uploads", "inbox/shot.jpg", jpeg);
      const first = await capturingStdout(() =>
        sameBucket.handler(
          sqsEvent([
            sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "inbox/shot.jpg" }])),
          ]),
          lambdaContext(),
        ),
      );
      expect(first.value.batchItemFailures).to.deep.equal([]);
      expect(await keys("uploads", "exiftool/")).to.deep.equal(["exiftool/inbox/shot.jpg.json"]);

      // S3 would notify about the result object too, were the stack's filter missing
      const second = await capturingStdout(() =>
        sameBucket.handler(
          sqsEvent([
            sqsRecord(
              s3Notification([{ bucket: "uploads", encodedKey: "exiftool/inbox/shot.jpg.json" }]),
            ),
          ]),
          lambdaContext(),
        ),
      );
      expect(second.value.batchItemFailures).to.deep.equal([]);
      expect(await keys("uploads", "exiftool/")).to.deep.equal(["exiftool/inbox/shot.jpg.json"]);
      const skip = second.lines
        .map((line) => JSON.parse(line))
        .find((log) => log.outcome === "results-prefix");
      expect(skip.key).to.equal("exiftool/inbox/shot.jpg.json");
    } finally {
      await sameBucket.close();
    }
  });

  it("fails only the malformed messages, each with an error that says what is wrong", async () => {
    await local.put("uploads", "ok.jpg", jpeg);
    const event = sqsEvent([
      sqsRecord("this is not json", "bad-json"),
      sqsRecord(JSON.stringify({ Records: "nope" }), "bad-records"),
      sqsRecord(
        JSON.stringify({
          Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: {} } }],
        }),
        "bad-record",
      ),
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "bad%ZZescape.jpg" }]), "bad-key"),
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "ok.jpg" }]), "good"),
    ]);
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(failedIds(response)).to.deep.equal(["bad-json", "bad-key", "bad-record", "bad-records"]);
    const errors = Object.fromEntries(
      lines
        .map((line) => JSON.parse(line))
        .filter((log) => log.failureType === "MalformedMessage")
        .map((log) => [log.messageId, log.error.message]),
    );
    expect(errors["bad-json"]).to.match(/not JSON/);
    expect(errors["bad-records"]).to.match(/Records is not a non-empty array/);
    expect(errors["bad-record"]).to.match(/Records\[0\]: missing s3\.bucket\.name/);
    expect(errors["bad-key"]).to.match(/not valid URL encoding/);
    expect(await keys("results", "ok.jpg")).to.deep.equal(["ok.jpg.json"]);
  });

  it("treats a record without SQS's attributes as a first receive, not as a failure", async () => {
    await local.put("uploads", "bare.jpg", jpeg);
    const record = sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "bare.jpg" }]));
    delete (record as Partial<typeof record>).attributes;
    const response = await runtime.handler(sqsEvent([record]), lambdaContext());
    expect(failedIds(response)).to.deep.equal([]);
    expect(await keys("results", "bare.jpg")).to.deep.equal(["bare.jpg.json"]);
  });

  it("reports an object as failed, not lost, when the Lambda deadline is too close to start it", async () => {
    await local.put("uploads", "late.jpg", jpeg);
    const event = sqsEvent([
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "late.jpg" }]), "late"),
    ]);
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext(3_000)),
    );
    expect(failedIds(response)).to.deep.equal(["late"]);
    const failure = lines.map((line) => JSON.parse(line)).find((log) => log.message === "failed");
    expect(failure.failureType).to.equal("DeadlineError");
  });

  it("writes only JSON log lines, and EMF blocks that follow the EMF specification", async () => {
    await local.put("uploads", "emf.jpg", jpeg);
    local.proxy.fault = (request) =>
      request.key === "emf-fail.jpg" ? { status: 500, code: "InternalError" } : undefined;
    const event = sqsEvent([
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "emf.jpg" }])),
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "emf-fail.jpg" }])),
    ]);
    const { lines } = await capturingStdout(() => runtime.handler(event, lambdaContext()));
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const emf = entries.filter((entry) => "_aws" in entry);
    expect(emf.length).to.be.at.least(2);
    const names = new Set<string>();
    for (const block of emf) {
      const aws = block._aws as {
        Timestamp: number;
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit: string }[];
        }[];
      };
      expect(aws.Timestamp).to.be.a("number");
      for (const directive of aws.CloudWatchMetrics) {
        expect(directive.Namespace).to.equal("S3ExifTool");
        for (const dimensionSet of directive.Dimensions) {
          for (const dimension of dimensionSet) expect(block[dimension]).to.be.a("string");
        }
        for (const metric of directive.Metrics) {
          names.add(metric.Name);
          const value = block[metric.Name];
          expect(typeof value === "number" || Array.isArray(value), metric.Name).to.equal(true);
        }
      }
    }
    for (const name of ["ObjectsProcessed", "BytesRead", "ObjectSize", "Duration", "Failures"]) {
      expect(names, name).to.include(name);
    }
    const failureBlock = emf.find((block) => "Failures" in block)!;
    expect(failureBlock.FailureType).to.equal("Other");
  });

  it("publishes a result event to EventBridge when a bus is configured", async () => {
    const received: Record<string, unknown>[] = [];
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ target: request.headers["x-amz-target"], ...JSON.parse(body) });
        response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const publishing = createHandler(
      env({
        EVENT_BUS_NAME: "results-bus",
        AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${port}`,
      }),
    );
    try {
      await local.put("uploads", "announced.jpg", jpeg);
      const { value: response } = await capturingStdout(() =>
        publishing.handler(
          sqsEvent([
            sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "announced.jpg" }])),
          ]),
          lambdaContext(),
        ),
      );
      expect(response.batchItemFailures).to.deep.equal([]);
      expect(received).to.have.length(1);
      const entry = (received[0].Entries as Record<string, string>[])[0];
      expect(received[0].target).to.equal("AWSEvents.PutEvents");
      expect(entry).to.include({
        EventBusName: "results-bus",
        Source: "s3-exiftool",
        DetailType: "ExifTool Metadata Extracted",
      });
      const detail = JSON.parse(entry.Detail);
      expect(detail.result).to.deep.equal({ bucket: "results", key: "announced.jpg.json" });
      expect(detail.metadata.Artist).to.equal("Phil Harvey");
    } finally {
      await publishing.close();
      server.close();
    }
  });
});
