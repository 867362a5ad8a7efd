import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { createS3Client } from "../../function/ranges/s3-client";
import { loadLocalSettings } from "../../local/config";
import { startEmulator, type Emulator } from "../../local/emulator";
import { BucketNotifications, createdEventName } from "../../local/notifications";
import { S3Proxy, type ProxiedRequest } from "../../local/s3-proxy";
import type { S3EventRecord } from "../../local/s3-event";
import { createTopology, type Topology } from "../../local/topology";
import { uploadObject } from "../../local/upload";
import keys from "./fixtures/s3-notification-keys.json";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };

describe("local bucket notifications", () => {
  let emulator: Emulator;
  let proxy: S3Proxy;
  let s3: S3Client;
  let sqs: SQSClient;
  let topology: Topology;
  let notifications: BucketNotifications;

  before(async () => {
    emulator = await startEmulator();
    proxy = await new S3Proxy({ target: emulator.endpoint }).start();
    const config = { endpoint: proxy.endpoint, region: "us-east-1", credentials };
    s3 = createS3Client(config);
    sqs = new SQSClient(config);
    topology = await createTopology(s3, sqs, loadLocalSettings("dev"));
    notifications = new BucketNotifications({
      bucket: topology.uploadBucket,
      region: "us-east-1",
      queueUrl: topology.queueUrl,
      s3: createS3Client({ ...config, endpoint: emulator.endpoint }),
      sqs,
    }).attach(proxy);
  });

  after(async () => {
    s3.destroy();
    sqs.destroy();
    await proxy.stop();
    await emulator.stop();
  });

  /** Every record on the queue now, after the notifications in flight are sent. */
  async function drainQueue(): Promise<S3EventRecord[]> {
    await notifications.drain();
    const records: S3EventRecord[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: topology.queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 600,
        }),
      );
      if (Messages.length === 0) return records;
      for (const message of Messages) {
        records.push(...(JSON.parse(message.Body!) as { Records: S3EventRecord[] }).Records);
      }
    }
  }

  it("gives each of two quick PutObjects its own size and ETag, and notifies a PUT deleted at once", async () => {
    const first = await s3.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "quick.txt", Body: "one" }),
    );
    const second = await s3.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "quick.txt", Body: "second" }),
    );
    await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "fleeting.txt", Body: "gone" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "uploads", Key: "fleeting.txt" }));
    const records = await drainQueue();
    const quick = records.filter((r) => r.s3.object.key === "quick.txt").map((r) => r.s3.object);
    const bySize = quick.map((o) => [o.size, o.eTag] as const).sort((a, b) => a[0] - b[0]);
    expect(bySize).to.deep.equal([
      [3, first.ETag!.replace(/"/g, "")],
      [6, second.ETag!.replace(/"/g, "")],
    ]);
    const fleeting = records.filter((r) => r.s3.object.key === "fleeting.txt");
    expect(fleeting.map((r) => r.s3.object.size)).to.deep.equal([4]);
  });

  it("sends S3's encoding of keys with spaces, +, %, unicode for PutObject", async () => {
    const examples = [...keys.observed, ...keys.derived];
    for (const { key } of examples) {
      await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: key, Body: `body of ${key}` }));
    }
    const records = await drainQueue();
    expect(records.map((r) => r.s3.object.key).sort()).to.deep.equal(
      examples.map((e) => e.encoded).sort(),
    );
    for (const record of records) expect(record.eventName).to.equal("ObjectCreated:Put");
  });

  it("reports the stored object's size and unquoted ETag", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: "uploads", Key: "sized.bin", Body: Buffer.alloc(1234, 7) }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: "uploads", Key: "sized.bin" }));
    const [record] = await drainQueue();
    expect(record!.s3.object).to.deep.include({ size: 1234, eTag: head.ETag!.replace(/"/g, "") });
    expect(record!.s3.bucket.name).to.equal("uploads");
    expect(record!.awsRegion).to.equal("us-east-1");
  });

  it("sends one CompleteMultipartUpload event for a multipart upload, none for its parts", async () => {
    const body = Buffer.alloc(9 * 1024 * 1024, 1);
    await uploadObject(s3, "uploads", "big/parts.bin", body);
    const parts = proxy.log.filter((e) => e.key === "big/parts.bin" && e.query.has("partNumber"));
    expect(parts.length).to.equal(2);
    const records = await drainQueue();
    expect(records.map((r) => [r.eventName, r.s3.object.key, r.s3.object.size])).to.deep.equal([
      ["ObjectCreated:CompleteMultipartUpload", "big/parts.bin", body.length],
    ]);
  });

  it("sends ObjectCreated:Copy for a copy into the upload bucket", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "results", Key: "source.txt", Body: "copied" }));
    await s3.send(
      new CopyObjectCommand({
        Bucket: "uploads",
        Key: "copy.txt",
        CopySource: "results/source.txt",
      }),
    );
    const records = await drainQueue();
    expect(records.map((r) => [r.eventName, r.s3.object.key, r.s3.object.size])).to.deep.equal([
      ["ObjectCreated:Copy", "copy.txt", 6],
    ]);
  });

  it("sends nothing for other buckets, tagging, or failed requests", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "results", Key: "result.json", Body: "{}" }));
    await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "tagged.txt", Body: "x" }));
    await drainQueue();
    proxy.fault = (request) =>
      request.key === "refused.txt" ? { status: 500, code: "InternalError" } : undefined;
    try {
      await s3
        .send(new PutObjectCommand({ Bucket: "uploads", Key: "refused.txt", Body: "x" }))
        .catch(() => undefined);
    } finally {
      proxy.fault = undefined;
    }
    await s3
      .send(
        new PutObjectTaggingCommand({
          Bucket: "uploads",
          Key: "tagged.txt",
          Tagging: { TagSet: [{ Key: "a", Value: "b" }] },
        }),
      )
      .catch(() => undefined); // the emulator may not implement tagging; either way no event
    expect(await drainQueue()).to.deep.equal([]);
  });

  it("gives later writes to a key a greater sequencer", async () => {
    for (const body of ["one", "two", "three"]) {
      await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "again.txt", Body: body }));
    }
    const sequencers = (await drainQueue()).map((r) => r.s3.object.sequencer);
    expect(sequencers).to.have.length(3);
    expect([...sequencers].sort()).to.deep.equal(sequencers);
    expect(new Set(sequencers).size).to.equal(3);
  });

  it("tells object creations from other requests", () => {
    const request = (method: string, query: string, headers = {}): ProxiedRequest => ({
      method,
      bucket: "uploads",
      key: "k",
      query: new URLSearchParams(query),
      headers,
    });
    expect(createdEventName(request("PUT", "x-id=PutObject"), 200)).to.equal("ObjectCreated:Put");
    expect(createdEventName(request("PUT", "", { "x-amz-copy-source": "/a/b" }), 200)).to.equal(
      "ObjectCreated:Copy",
    );
    expect(createdEventName(request("POST", "uploadId=1"), 200)).to.equal(
      "ObjectCreated:CompleteMultipartUpload",
    );
    expect(createdEventName(request("POST", "uploads"), 200)).to.equal(undefined);
    expect(createdEventName(request("PUT", "partNumber=1&uploadId=1"), 200)).to.equal(undefined);
    expect(createdEventName(request("PUT", "tagging"), 200)).to.equal(undefined);
    expect(createdEventName(request("PUT", ""), 503)).to.equal(undefined);
    expect(createdEventName(request("GET", ""), 200)).to.equal(undefined);
  });

  it("applies the stack's prefix and suffix filter", () => {
    const filtered = new BucketNotifications({
      bucket: "uploads",
      region: "us-east-1",
      queueUrl: topology.queueUrl,
      filterPrefix: "in/",
      filterSuffix: ".jpg",
      s3,
      sqs,
    });
    expect(filtered.matches("in/a.jpg")).to.equal(true);
    expect(filtered.matches("out/a.jpg")).to.equal(false);
    expect(filtered.matches("in/a.png")).to.equal(false);
  });
});
