import { readFileSync } from "node:fs";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { parseMessage } from "../../function/events/object-created";
import type { StoredRecord } from "../../local/outcomes";
import type { BatchReport } from "../../local/event-source-mapping";
import type { Pipeline } from "../../local/pipeline";
import { uploadObject } from "../../local/upload";
import { corpusFiles, startTestPipeline, waitFor } from "./support";

async function resultKeys(pipeline: Pipeline): Promise<string[]> {
  const { Contents = [] } = await pipeline.direct.send(
    new ListObjectsV2Command({ Bucket: pipeline.topology.resultsBucket }),
  );
  return Contents.map((object) => object.Key!).sort();
}

async function deadLetterCount(pipeline: Pipeline): Promise<number> {
  const { Attributes = {} } = await pipeline.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: pipeline.topology.deadLetterQueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

async function uploadAll(pipeline: Pipeline, files: string[]): Promise<string[]> {
  const keys = files.map((file) => `corpus/${path.basename(file)}`);
  await Promise.all(
    files.map((file, i) =>
      uploadObject(pipeline.s3, pipeline.topology.uploadBucket, keys[i]!, readFileSync(file)),
    ),
  );
  return keys;
}

describe("local pipeline end to end", () => {
  let pipeline: Pipeline | undefined;

  afterEach(async () => {
    await pipeline?.stop();
    pipeline = undefined;
  });

  it("turns 20 corpus files uploaded with the AWS SDK into 20 results", async () => {
    pipeline = await startTestPipeline();
    const files = corpusFiles(20);
    expect(files).to.have.length(20);
    const keys = await uploadAll(pipeline, files);
    const expected = keys.map((key) => `${key}.json`).sort();
    await waitFor("20 results", async () => {
      const found = await resultKeys(pipeline!);
      return found.length === expected.length ? found : undefined;
    });
    expect(await resultKeys(pipeline)).to.deep.equal(expected);
    for (const [i, key] of keys.entries()) {
      const object = await pipeline.direct.send(
        new GetObjectCommand({ Bucket: pipeline.topology.resultsBucket, Key: `${key}.json` }),
      );
      const result = JSON.parse(await object.Body!.transformToString()) as StoredRecord;
      expect(result).to.include({ bucket: "uploads", key, size: readFileSync(files[i]!).length });
      expect(result.metadata.SourceFile).to.equal(`s3://uploads/${key}`);
      expect(result.metadata.FileName).to.equal(path.basename(key));
    }
    expect(await deadLetterCount(pipeline)).to.equal(0);
  });

  it("parks a message that fails every time in the DLQ after exactly maxReceiveCount receives; nothing is lost", async () => {
    const reports: BatchReport[] = [];
    pipeline = await startTestPipeline({}, { onBatch: (report) => void reports.push(report) });
    const { maxReceiveCount } = pipeline.settings;
    const files = corpusFiles(8);
    const poisonKey = `corpus/${path.basename(files[3]!)}`;
    // every GET of that object answers 503: retryable, so the handler fails its message each time
    pipeline.proxy.fault = (request) =>
      request.method === "GET" && request.bucket === "uploads" && request.key === poisonKey
        ? { status: 503, code: "ServiceUnavailable" }
        : undefined;
    const keys = await uploadAll(pipeline, files);
    await waitFor(
      "the poison message in the DLQ",
      async () => ((await deadLetterCount(pipeline!)) === 1 ? true : undefined),
      45_000,
    );
    await waitFor("the other results", async () =>
      (await resultKeys(pipeline!)).length === keys.length - 1 ? true : undefined,
    );

    const poisonReceives = reports
      .flatMap((report) =>
        report.records.map((record) => ({ record, failed: report.failed.has(record.messageId) })),
      )
      .filter(({ record }) => {
        const message = parseMessage(record.body);
        return message.kind === "objects" && message.objects.some((o) => o.key === poisonKey);
      });
    expect(
      poisonReceives.map(({ record }) => Number(record.attributes.ApproximateReceiveCount)),
    ).to.deep.equal(Array.from({ length: maxReceiveCount }, (_, i) => i + 1));
    expect(poisonReceives.every(({ failed }) => failed)).to.equal(true);
    expect(pipeline.proxy.getsOf("uploads", poisonKey).every((get) => get.status === 503)).to.equal(
      true,
    );

    const { Messages = [] } = await pipeline.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: pipeline.topology.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
      }),
    );
    const parked = Messages.map((m) => parseMessage(m.Body!)).flatMap((m) =>
      m.kind === "objects" ? m.objects : [],
    );
    expect(parked.map((o) => o.key)).to.deep.equal([poisonKey]);

    const results = await resultKeys(pipeline);
    expect(results).to.deep.equal(
      keys
        .filter((k) => k !== poisonKey)
        .map((k) => `${k}.json`)
        .sort(),
    );
    expect(results.length + parked.length).to.equal(keys.length);
  });
});
