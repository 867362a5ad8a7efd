// One object must not fail its neighbours: a batch of 10 with two XMP files
// that cost ExifTool a minute of CPU each and 8 ordinary JPEGs, in a short
// invocation. Each object gets its own time on a worker (OBJECT_TIMEOUT_MS,
// which the stack derives so that a full batch fits), so the JPEGs are
// stored in the first invocation and only the two slow files are retried;
// on their second receive their Timeout is final, and a result records it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { SQSRecord } from "aws-lambda";
import { expect } from "chai";
import type { HandlerRuntime } from "../../function/handler";
import { xmpNestingBomb } from "../../samples/hostile";
import { CORPUS_DIR } from "../../samples/synthetic";
import { localHandler } from "../support/local-handler";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { capturingStdout, jsonLines } from "../support/stdout";
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";

const JPEGS = ["Canon.jpg", "Casio.jpg", "ExifTool.jpg", "FujiFilm.jpg", "GPS.jpg", "IPTC.jpg"]
  .concat(["Apple.jpg", "AFCP.jpg"])
  .map((name) => `photos/${name}`);
const BOMBS = ["bombs/a.xmp", "bombs/b.xmp"];
// 2 workers, a 10-object batch: 5 rounds of 1.5 s fit the 10 s invocation
// less its 1 s reserve, as the stack's derivation (infra/config.ts) ensures
const ENV = { EXIFTOOL_WORKERS: "2", OBJECT_TIMEOUT_MS: "1500", DEADLINE_RESERVE_MS: "1000" };
const INVOCATION_MS = 10_000;

describe("a per-object time budget", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let runtime: HandlerRuntime;

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    const bomb = xmpNestingBomb();
    expect(bomb.size).to.be.within(650_000, 660_000);
    for (const key of BOMBS) await local.put("uploads", key, Buffer.concat([...bomb.chunks()]));
    for (const key of JPEGS) {
      await local.put("uploads", key, readFileSync(join(CORPUS_DIR, key.slice(7))));
    }
    runtime = localHandler(local, ENV);
  });
  after(async () => {
    await runtime?.close();
    await local?.stop();
  });

  const message = (key: string, receiveCount: number): SQSRecord => {
    const record = sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: key }]), key);
    record.attributes.ApproximateReceiveCount = String(receiveCount);
    return record;
  };
  const result = async (key: string): Promise<Record<string, unknown>> => {
    const response = await local.direct.send(
      new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }),
    );
    return JSON.parse(await response.Body!.transformToString()) as Record<string, unknown>;
  };
  const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }): string[] =>
    response.batchItemFailures.map((item) => item.itemIdentifier).sort();

  it("stores the 8 JPEGs of the batch in the first invocation and retries only the two slow files", async () => {
    // the bombs first, so that they hold both workers while the JPEGs wait
    const keys = [...BOMBS, ...JPEGS];
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(sqsEvent(keys.map((key) => message(key, 1))), lambdaContext(INVOCATION_MS)),
    );
    expect(failedIds(response)).to.deep.equal(BOMBS);
    // each spent its own budget: a Timeout, retried once before it is final
    const failures = jsonLines(lines).filter((line) => line.outcome === "failed");
    expect(
      failures.map((line) => [line.key, line.failureType, line.disposition]),
    ).to.have.deep.members(BOMBS.map((key) => [key, "Timeout", "retry"]));
    for (const key of JPEGS) {
      const stored = await result(key);
      expect(stored.status, key).to.equal("extracted");
      expect((stored.metadata as Record<string, unknown>).FileType, key).to.equal("JPEG");
    }
  });

  it("records the slow files' Timeout on their second receive and acknowledges them", async () => {
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(sqsEvent(BOMBS.map((key) => message(key, 2))), lambdaContext(INVOCATION_MS)),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    const recorded = jsonLines(lines).filter((line) => line.outcome === "failure-recorded");
    expect(recorded.map((line) => line.key)).to.have.members(BOMBS);
    const counted = jsonLines(lines).find((line) => "FailuresRecorded" in line);
    expect(counted?.FailuresRecorded).to.deep.equal([1, 1]);
    for (const key of BOMBS) {
      const stored = await result(key);
      expect(stored).to.include({ key, status: "failed", size: xmpNestingBomb().size });
      expect(stored.metadata).to.deep.equal({});
      expect(stored.eTag).to.be.a("string");
      const failure = stored.failure as { type: string; message: string; limits: unknown };
      expect(failure.type).to.equal("Timeout");
      expect(failure.message).to.include("1500 ms");
      expect(failure.limits).to.deep.equal({
        objectTimeoutMs: 1500,
        maxWorkerRssMb: 0,
        exiftoolWorkers: 2,
      });
    }
  });
});
