// Legitimate files that need more than one worker's memory: a ZIP of many
// small members and a large JSON document (scaled down from the 7.4 MB /
// 50,000-member ZIP and the 30 MB JSON that need 460 and 600 MB, with the
// caps scaled down alike: 96 MB per worker, 2 workers). Such an object gets
// one more try alone, on a worker of its own limited to the workers' memory
// together (192 MB); what needs more than that is recorded as
// MemoryExceeded, naming the setting that would change it, and acknowledged
// on both event sources.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { BatchOperationsEvent } from "../../function/events/batch-operations";
import type { HandlerRuntime } from "../../function/handler";
import { jsonOfManyMembers, zipOfManyMembers } from "../../samples/hostile";
import { CORPUS_DIR } from "../../samples/synthetic";
import { localHandler } from "../support/local-handler";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { capturingStdout, jsonLines } from "../support/stdout";
import { fixture, lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";

const ENV = { EXIFTOOL_WORKERS: "2", MAX_WORKER_RSS_MB: "96", OBJECT_TIMEOUT_MS: "25000" };
// needs ~150 MB: over a worker's 96, under the 192 of both
const zip = zipOfManyMembers(12_000);
// needs more than 192 MB
const json = jsonOfManyMembers(1_400_000);

describe("large legitimate files under the worker memory cap", function () {
  this.timeout(180_000);
  let local: LocalS3;
  let runtime: HandlerRuntime;

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    await local.put("uploads", zip.name, Buffer.concat([...zip.chunks()]));
    await local.put("uploads", json.name, Buffer.concat([...json.chunks()]));
    await local.put("uploads", "next.jpg", readFileSync(join(CORPUS_DIR, "ExifTool.jpg")));
    runtime = localHandler(local, ENV);
  });
  after(async () => {
    await runtime?.close();
    await local?.stop();
  });

  const result = async (key: string): Promise<Record<string, unknown>> => {
    const response = await local.direct.send(
      new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }),
    );
    return JSON.parse(await response.Body!.transformToString()) as Record<string, unknown>;
  };

  it("stores a ZIP that needs more than a worker's memory, after one try alone", async () => {
    const spawnedBefore = runtime.extractor.pool.spawned;
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(
        sqsEvent(
          [zip.name, "next.jpg"].map((key) =>
            sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: key }]), key),
          ),
        ),
        lambdaContext(60_000),
      ),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    const stored = await result(zip.name);
    expect(stored.status).to.equal("extracted");
    const metadata = stored.metadata as Record<string, unknown>;
    expect(metadata.FileType).to.equal("ZIP");
    expect(metadata.ZipFileName).to.equal("notes/000000.txt");
    expect(((await result("next.jpg")).metadata as Record<string, unknown>).Artist).to.equal(
      "Phil Harvey",
    );
    // the try alone started a worker of its own; nothing failed on the way out
    expect(runtime.extractor.pool.spawned).to.be.greaterThan(spawnedBefore);
    expect(jsonLines(lines).filter((line) => line.outcome === "failed")).to.deep.equal([]);
  });

  it("records a JSON that needs more than the workers' memory together, naming memorySize (Batch Operations)", async () => {
    const event = fixture<BatchOperationsEvent>("batch-operations-2.0.json");
    event.tasks = [
      { ...event.tasks[0]!, taskId: "big-json", s3Key: json.name, s3Bucket: "uploads" },
    ];
    const { value: response, lines } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext(60_000)),
    );
    const [task] = response.results;
    expect(task).to.include({ taskId: "big-json", resultCode: "PermanentFailure" });
    expect(task!.resultString).to.match(/^MemoryExceeded: .*result at s3:\/\/results\//);
    const stored = await result(json.name);
    expect(stored).to.include({ status: "failed", size: json.size });
    expect(stored.metadata).to.deep.equal({});
    const failure = stored.failure as { type: string; message: string; limits: unknown };
    expect(failure.type).to.equal("MemoryExceeded");
    expect(failure.message).to.match(/more than 192 MB.* 96 MB .*memorySize/);
    expect(failure.limits).to.deep.equal({
      objectTimeoutMs: 25000,
      maxWorkerRssMb: 96,
      exiftoolWorkers: 2,
    });
    const recorded = jsonLines(lines).find((line) => line.outcome === "failure-recorded");
    expect(recorded).to.include({ key: json.name, failureType: "MemoryExceeded" });
  });
});
