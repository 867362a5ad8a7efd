// Keys near S3's 1,024-byte limit: <prefix><key>.json would pass it, and S3
// would refuse the result (the message would retry into the DLQ). Such keys
// get a shortened result key ending in the SHA-256 of the whole key.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { createHandler } from "../../function/handler";
import { resultKey } from "../../function/results/result-key";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from "../support/local-s3";
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";

const bytes = (text: string): number => Buffer.byteLength(text);
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("result keys near S3's 1,024-byte key limit", function () {
  this.timeout(60_000);

  it("keeps <prefix><key>.json whenever it fits, up to exactly 1,024 bytes", () => {
    expect(resultKey("out/", "photos/a.jpg")).to.equal("out/photos/a.jpg.json");
    const fits = "k".repeat(1024 - bytes("out/.json"));
    expect(resultKey("out/", fits)).to.equal(`out/${fits}.json`);
    expect(bytes(resultKey("out/", fits))).to.equal(1024);
  });

  it("shortens longer ones to the key's start, ~, the key's SHA-256 and .json, within 1,024 bytes", () => {
    const shared = "p/".repeat(508); // 1,021-byte keys
    const a = `${shared}a.jpg`;
    const b = `${shared}b.jpg`;
    for (const key of [a, b]) {
      const shortened = resultKey("results/", key);
      expect(bytes(shortened)).to.equal(1024);
      expect(shortened).to.match(new RegExp(`~${sha256(key)}\\.json$`));
      expect(
        key.startsWith(shortened.slice("results/".length, shortened.lastIndexOf("~"))),
      ).to.equal(true);
    }
    // same first 1,000 bytes, different keys: different result keys
    expect(resultKey("results/", a)).to.not.equal(resultKey("results/", b));
  });

  it("never cuts a multi-byte character in two", () => {
    const key = "é".repeat(512); // 1,024 bytes of two-byte characters
    const shortened = resultKey("r/", key);
    // 1,024 - "r/" - "~<64 hex>.json" leaves 952 bytes: 476 whole characters
    expect(shortened.slice(2, shortened.lastIndexOf("~"))).to.equal("é".repeat(476));
    expect(bytes(shortened)).to.equal(1024);
    const odd = resultKey("r/x", key); // 951 bytes of room: 475 characters, one byte unused
    expect(odd.slice(3, odd.lastIndexOf("~"))).to.equal("é".repeat(475));
    expect(bytes(odd)).to.equal(1023);
  });

  it("never gives a plain key the hashed form's shape: the issue's 1,020-byte and 1,019-byte pair get two result keys", () => {
    const long = "k".repeat(1020);
    const hashed = resultKey("", long);
    // the long key's result: its first 954 bytes, ~, its SHA-256, .json
    expect(hashed).to.equal(`${"k".repeat(954)}~${sha256(long)}.json`);
    const mimic = hashed.slice(0, -".json".length);
    expect(bytes(mimic)).to.equal(1019);
    // <mimic>.json would fit in 1,024 bytes, but it is the long key's place
    expect(resultKey("", mimic)).to.not.equal(hashed);
    expect(resultKey("", mimic)).to.equal(`${"k".repeat(954)}~${sha256(mimic)}.json`);
    // a short key that merely ends like a hash is moved too, and only such keys are
    const short = `a~${sha256("a")}`;
    expect(resultKey("out/", short)).to.equal(`out/${short}~${sha256(short)}.json`);
    expect(resultKey("out/", "a~b.jpg")).to.equal("out/a~b.jpg.json");
    expect(resultKey("out/", `a~${"F".repeat(64)}`)).to.equal(`out/a~${"F".repeat(64)}.json`);
  });

  it("refuses a prefix that leaves no room, saying so", () => {
    expect(() => resultKey("p".repeat(1000), "x".repeat(100))).to.throw(
      /results prefix \(1000 bytes\) leaves no room/,
    );
  });

  describe("through the handler and the emulator", () => {
    let local: LocalS3;
    const saved = { ...process.env };

    before(async () => {
      // the SDK's credential chain and Powertools read the process environment
      process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
      process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
      process.env.POWERTOOLS_METRICS_DISABLED = "true";
      local = await startLocalS3(["uploads", "results"]);
    });
    after(async () => {
      process.env = saved;
      await local.stop();
    });

    const handlerWithPrefix = (prefix: string) =>
      createHandler({
        ...process.env,
        AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
        AWS_REGION: "us-east-1",
        UPLOAD_BUCKETS: "uploads",
        RESULTS_BUCKET: "results",
        RESULTS_PREFIX: prefix,
        EXIFTOOL_WORKERS: "1",
      });

    it("stores the result of a 1,020-byte and a 1,024-byte key, each record naming its full key", async () => {
      const jpeg = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));
      const keys = [`long/${"x".repeat(1011)}.jpg`, `long/${"y".repeat(1015)}.jpg`];
      expect(keys.map(bytes)).to.deep.equal([1020, 1024]);
      for (const key of keys) await local.put("uploads", key, jpeg);
      const runtime = handlerWithPrefix("exif/");
      try {
        const response = await runtime.handler(
          sqsEvent(
            keys.map((key) => sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: key }]))),
          ),
          lambdaContext(),
        );
        expect(response.batchItemFailures).to.deep.equal([]);
      } finally {
        await runtime.close();
      }

      const listing = await local.direct.send(new ListObjectsV2Command({ Bucket: "results" }));
      const stored = (listing.Contents ?? []).map((item) => item.Key!).sort();
      expect(stored).to.have.length(2);
      for (const [i, key] of keys.entries()) {
        const location = stored[i]!;
        expect(bytes(location)).to.be.at.most(1024);
        expect(location.startsWith(`exif/long/${key[5]}`)).to.equal(true, location);
        expect(location.endsWith(`~${sha256(key)}.json`)).to.equal(true, location);
        const object = await local.direct.send(
          new GetObjectCommand({ Bucket: "results", Key: location }),
        );
        const record = JSON.parse(await object.Body!.transformToString()) as {
          key: string;
          metadata: Record<string, unknown>;
        };
        expect(record.key).to.equal(key);
        expect(record.metadata).to.include({ FileType: "JPEG" });
      }
    });
    it("stores the issue's 1,020-byte key and its 1,019-byte mimic in two places, each naming its own key", async () => {
      const jpeg = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));
      const png = readFileSync(join(CORPUS_DIR, "PNG.png"));
      const long = `k/${"x".repeat(1018)}`;
      const mimic = `${long.slice(0, 954)}~${sha256(long)}`;
      expect([bytes(long), bytes(mimic)]).to.deep.equal([1020, 1019]);
      await local.put("uploads", long, jpeg);
      await local.put("uploads", mimic, png);
      const runtime = handlerWithPrefix("");
      try {
        // one after the other: the mimic's write would be the one to overwrite
        for (const key of [long, mimic]) {
          const response = await runtime.handler(
            sqsEvent([sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: key }]))]),
            lambdaContext(),
          );
          expect(response.batchItemFailures).to.deep.equal([]);
        }
      } finally {
        await runtime.close();
      }
      for (const [key, type] of [
        [long, "JPEG"],
        [mimic, "PNG"],
      ]) {
        const object = await local.direct.send(
          new GetObjectCommand({ Bucket: "results", Key: resultKey("", key) }),
        );
        const record = JSON.parse(await object.Body!.transformToString()) as {
          key: string;
          metadata: Record<string, unknown>;
        };
        expect(record.key).to.equal(key);
        expect(record.metadata).to.include({ FileType: type });
      }
      expect(resultKey("", long)).to.not.equal(resultKey("", mimic));
    });
  });
});
