import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { expect } from "chai";
import { loadLocalSettings, type LocalSettings } from "../../local/config";
import { startEmulator, type Emulator } from "../../local/emulator";
import {
  EventSourceMapping,
  type BatchReport,
  type Handler,
} from "../../local/event-source-mapping";
import { createTopology, type Topology } from "../../local/topology";
import { waitFor } from "./support";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };

describe("local SQS event source mapping", () => {
  let emulator: Emulator;
  let sqs: SQSClient;
  let s3: S3Client;
  let mapping: EventSourceMapping | undefined;
  let queueNumber = 0;

  before(async () => {
    emulator = await startEmulator();
    const config = { endpoint: emulator.endpoint, region: "us-east-1", credentials };
    sqs = new SQSClient(config);
    s3 = new S3Client({ ...config, forcePathStyle: true });
  });

  afterEach(async () => {
    await mapping?.stop();
    mapping = undefined;
  });

  after(async () => {
    sqs.destroy();
    s3.destroy();
    await emulator.stop();
  });

  /** Fresh queues per test, with a 1 s visibility timeout and 3 receives before the DLQ. */
  async function queues(): Promise<{ settings: LocalSettings; topology: Topology }> {
    queueNumber++;
    const settings = {
      ...loadLocalSettings("dev", {
        visibilityTimeoutSeconds: 1,
        maxReceiveCount: 3,
        timeoutSeconds: 10,
      }),
      uploadBucket: `uploads-${queueNumber}`,
      resultsBucket: `results-${queueNumber}`,
      queueName: `queue-${queueNumber}`,
      deadLetterQueueName: `dlq-${queueNumber}`,
    };
    return { settings, topology: await createTopology(s3, sqs, settings) };
  }

  async function send(queueUrl: string, bodies: string[]): Promise<void> {
    for (let start = 0; start < bodies.length; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies
            .slice(start, start + 10)
            .map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
    }
  }

  async function count(queueUrl: string): Promise<number> {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible)
    );
  }

  function start(
    settings: LocalSettings,
    topology: Topology,
    handler: Handler,
    extra: { timeoutSeconds?: number; batchSize?: number } = {},
  ): BatchReport[] {
    const reports: BatchReport[] = [];
    mapping = new EventSourceMapping({
      sqs,
      queueUrl: topology.queueUrl,
      queueArn: topology.queueArn,
      region: settings.region,
      handler,
      functionName: settings.functionName,
      timeoutSeconds: extra.timeoutSeconds ?? settings.timeoutSeconds,
      batchSize: extra.batchSize ?? settings.batchSize,
      maximumBatchingWindowSeconds: 0,
      onBatch: (report) => {
        reports.push(report);
      },
    }).start();
    return reports;
  }

  const succeed: Handler = async () => ({ batchItemFailures: [] });

  it("invokes the handler with a real SQS event and a Lambda context, then deletes the batch", async () => {
    const { settings, topology } = await queues();
    const seen: { event: SQSEvent; remaining: number; context: Context }[] = [];
    start(settings, topology, async (event, context) => {
      seen.push({ event, remaining: context.getRemainingTimeInMillis(), context });
      return { batchItemFailures: [] };
    });
    await send(topology.queueUrl, ["one"]);
    await waitFor("an invocation", () => (seen.length > 0 ? true : undefined));
    const [{ event, remaining, context }] = seen as [(typeof seen)[0]];
    expect(event.Records).to.have.length(1);
    const record = event.Records[0]!;
    expect(record).to.deep.include({
      body: "one",
      eventSource: "aws:sqs",
      eventSourceARN: topology.queueArn,
      awsRegion: "us-east-1",
      md5OfBody: "f97c5d29941bfb1b2fdab0874906ab82",
    });
    expect(record.attributes.ApproximateReceiveCount).to.equal("1");
    expect(Number(record.attributes.SentTimestamp)).to.be.greaterThan(0);
    expect(record.messageId).to.be.a("string").and.not.equal("");
    expect(remaining).to.be.within(1, settings.timeoutSeconds * 1000);
    expect(context.functionName).to.equal(settings.functionName);
    expect(context.invokedFunctionArn).to.equal(
      `arn:aws:lambda:us-east-1:000000000000:function:${settings.functionName}`,
    );
    expect(context.awsRequestId).to.match(/^[0-9a-f-]{36}$/);
    await waitFor("the message deleted", async () =>
      (await count(topology.queueUrl)) === 0 ? true : undefined,
    );
  });

  it("hands over batches of at most the batch size, every message once", async () => {
    const { settings, topology } = await queues();
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    await send(topology.queueUrl, bodies);
    const reports = start(settings, topology, succeed, { batchSize: 4 });
    await waitFor("25 messages", () =>
      reports.flatMap((r) => r.records).length >= 25 ? true : undefined,
    );
    for (const report of reports) expect(report.records.length).to.be.within(1, 4);
    expect(reports.flatMap((r) => r.records.map((m) => m.body)).sort()).to.deep.equal(
      [...bodies].sort(),
    );
  });

  it("keeps only the reported failures; redrive parks one in the DLQ after maxReceiveCount receives", async () => {
    const { settings, topology } = await queues();
    const reports = start(settings, topology, async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === "poison").map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));
    await send(topology.queueUrl, ["good", "poison", "fine"]);
    await waitFor("the poison message in the DLQ", async () =>
      (await count(topology.deadLetterQueueUrl)) === 1 ? true : undefined,
    );
    const received = reports.flatMap((r) => r.records);
    const poison = received.filter((r) => r.body === "poison");
    expect(poison.map((r) => r.attributes.ApproximateReceiveCount)).to.deep.equal(["1", "2", "3"]);
    expect(
      received
        .filter((r) => r.body !== "poison")
        .map((r) => r.body)
        .sort(),
    ).to.deep.equal(["fine", "good"]);
    expect(await count(topology.queueUrl)).to.equal(0);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: topology.deadLetterQueueUrl }),
    );
    expect(Messages.map((m) => m.Body)).to.deep.equal(["poison"]);
  });

  it("does not start the next batch while a timed-out invocation is still running", async () => {
    const { settings, topology } = await queues();
    const calls: { started: number; ended?: number }[] = [];
    start(
      settings,
      topology,
      async () => {
        const call: { started: number; ended?: number } = { started: Date.now() };
        calls.push(call);
        // the first invocation outlives its 1 s timeout, then returns
        if (calls.length === 1) await new Promise((resolve) => setTimeout(resolve, 1500));
        call.ended = Date.now();
        return { batchItemFailures: [] };
      },
      { timeoutSeconds: 1, batchSize: 1 },
    );
    await send(topology.queueUrl, ["slow", "next"]);
    await waitFor("two invocations", () =>
      calls.length >= 2 && calls[1]!.ended ? true : undefined,
    );
    expect(calls[1]!.started).to.be.at.least(calls[0]!.ended!);
  });

  const wholeBatchFailures: [string, Handler, { timeoutSeconds?: number }, RegExp][] = [
    ["throws", async () => Promise.reject(new Error("boom")), {}, /the handler threw: boom/],
    [
      "names an unknown message",
      async (): Promise<SQSBatchResponse> => ({ batchItemFailures: [{ itemIdentifier: "nope" }] }),
      {},
      /unknown message/,
    ],
    [
      "outlives its timeout",
      () => new Promise<SQSBatchResponse>(() => undefined),
      { timeoutSeconds: 1 },
      /timed out after 1 s/,
    ],
  ];
  for (const [what, handler, extra, reason] of wholeBatchFailures) {
    it(`returns the whole batch to the queue when the handler ${what}`, async () => {
      const { settings, topology } = await queues();
      await send(topology.queueUrl, ["a", "b"]);
      const reports = start(settings, topology, handler, extra);
      await waitFor("a second receive of both", () =>
        reports
          .flatMap((r) => r.records)
          .filter((r) => r.attributes.ApproximateReceiveCount === "2").length === 2
          ? true
          : undefined,
      );
      expect(reports[0]!.failed.size).to.equal(reports[0]!.records.length);
      expect(reports[0]!.batchError).to.match(reason);
    });
  }

  it("finishes the batch in flight before stop() resolves", async () => {
    const { settings, topology } = await queues();
    let entered = false;
    const reports = start(settings, topology, async () => {
      entered = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { batchItemFailures: [] };
    });
    await send(topology.queueUrl, ["slow"]);
    await waitFor("the handler to start", () => (entered ? true : undefined));
    await mapping!.stop();
    expect(reports.map((r) => r.records.map((m) => m.body))).to.deep.equal([["slow"]]);
    expect(await count(topology.queueUrl)).to.equal(0);
  });

  it("stops promptly while long-polling an empty queue", async () => {
    const { settings, topology } = await queues();
    start(settings, topology, succeed);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // a 20 s long poll in progress; stop() must not wait it out (mocha's timeout bounds this)
    await Promise.race([
      mapping!.stop(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("stop() waited for the long poll")), 5000),
      ),
    ]);
  });

  it("builds the stack's topology: buckets, and a queue that redrives to the DLQ", async () => {
    const { settings, topology } = await queues();
    for (const bucket of [settings.uploadBucket, settings.resultsBucket]) {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    }
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: topology.queueUrl, AttributeNames: ["All"] }),
    );
    expect(Attributes.VisibilityTimeout).to.equal("1");
    expect(JSON.parse(Attributes.RedrivePolicy!)).to.deep.equal({
      deadLetterTargetArn: topology.deadLetterQueueArn,
      maxReceiveCount: 3,
    });
  });
});
