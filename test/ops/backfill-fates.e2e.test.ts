// Local backfill follows its own objects' fates on the running pipeline:
// it finishes once they are stored or dead-lettered whatever else the queue
// holds, says how many were stored, failed and still wait, exits 1 when one
// failed, and refuses a pipeline that runs another stack (as redrive does).
import { rmSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { main } from "../../commands/backfill/cli";
import { main as redrive } from "../../commands/redrive/cli";
import type { Pipeline } from "../../local/pipeline";
import { corpusFiles, ROOT, startTestPipeline, waitFor } from "../local/support";
import { collect, putUnnotified } from "./support";

async function queueCounts(pipeline: Pipeline, url: string): Promise<number> {
  const { Attributes = {} } = await pipeline.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

function runBackfill(pipeline: Pipeline, printed: string[], ...argv: string[]): Promise<number> {
  return main(["--endpoint", pipeline.endpoint, "--poll", "0.1", ...argv], collect(printed));
}

describe("local backfill: its own objects' fates", function () {
  this.timeout(60_000);

  describe("with unrelated messages failing again and again in the queue", () => {
    let pipeline: Pipeline;
    // retried for as long as the test runs: they never leave the queue
    before(async () => {
      pipeline = await startTestPipeline({ maxReceiveCount: 1000 });
    });
    after(() => pipeline.stop());

    it("finishes as soon as its objects are stored, and leaves the others waiting", async () => {
      const receives: string[] = [];
      pipeline.onBatch((report) => {
        for (const record of report.records) receives.push(record.body);
      });
      const poison = "other/poison.txt";
      pipeline.proxy.fault = (request) =>
        request.method === "GET" && request.key === poison
          ? { status: 503, code: "ServiceUnavailable" }
          : undefined;
      await pipeline.s3.send(
        new PutObjectCommand({ Bucket: pipeline.topology.uploadBucket, Key: poison, Body: "x" }),
      );
      await pipeline.sqs.send(
        new SendMessageCommand({
          QueueUrl: pipeline.topology.queueUrl,
          MessageBody: "not an event",
        }),
      );
      await waitFor("both unrelated messages failed once", () =>
        receives.includes("not an event") && receives.some((body) => body.includes(poison))
          ? true
          : undefined,
      );

      const keys = await putUnnotified(pipeline, "mine", corpusFiles(2));
      const printed: string[] = [];
      const code = await runBackfill(pipeline, printed, "--missing", "--prefix", "mine/");
      expect(code).to.equal(0, printed.join("\n"));
      expect(printed).to.include("2 objects: 2 stored, 0 failed, 0 waiting");
      expect(printed.at(-1)).to.equal("2 objects: 2 stored, 0 failed, 0 waiting");
      for (const key of keys) {
        expect(receives.some((body) => body.includes(JSON.stringify(key)))).to.equal(true, key);
      }
      // the unrelated two are still there, retried, neither stored nor dead-lettered
      expect(await queueCounts(pipeline, pipeline.topology.queueUrl)).to.equal(2);
      expect(await queueCounts(pipeline, pipeline.topology.deadLetterQueueUrl)).to.equal(0);
    });
  });

  describe("when one of its objects fails every time", () => {
    let pipeline: Pipeline;
    before(async () => {
      pipeline = await startTestPipeline({ maxReceiveCount: 2 });
    });
    after(() => pipeline.stop());

    it("counts one failed once in the dead-letter queue, one gone with no record; exits 1", async () => {
      const [, failing, gone] = await putUnnotified(pipeline, "mine", corpusFiles(3));
      pipeline.proxy.fault = (request) => {
        if (request.key === gone) return { status: 404, code: "NoSuchKey" };
        return request.method === "GET" && request.key === failing
          ? { status: 503, code: "ServiceUnavailable" }
          : undefined;
      };
      const printed: string[] = [];
      expect(await runBackfill(pipeline, printed, "--missing")).to.equal(1, printed.join("\n"));
      expect(printed.slice(-3).sort()).to.deep.equal([
        "3 objects: 1 stored, 2 failed, 0 waiting (npm run redrive sends the dead-lettered back)",
        `FAILED  ${failing}: its message is in ${pipeline.topology.deadLetterQueueUrl}`,
        `FAILED  ${gone}: it is gone from the bucket, and no record was written`,
      ]);
      expect(await queueCounts(pipeline, pipeline.topology.deadLetterQueueUrl)).to.equal(1);
    });
  });

  describe("against a pipeline of another stack (filterPrefix incoming/, results as annotations)", () => {
    const stack = `test-backfill-${process.pid}`;
    const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
    let pipeline: Pipeline;
    before(async () => {
      const dev = readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
      const edited = dev
        .replace(/^ {2}s3-exiftool:filterPrefix: ""$/m, "  s3-exiftool:filterPrefix: incoming/")
        .replace(
          /^ {2}s3-exiftool:resultDestination: bucket$/m,
          "  s3-exiftool:resultDestination: annotation",
        );
      expect(edited.match(/incoming\/|: annotation$/gm)).to.have.length(2);
      writeFileSync(stackFile, edited);
      pipeline = await startTestPipeline({}, {}, stack);
    });
    after(async () => {
      await pipeline.stop();
      rmSync(stackFile, { force: true });
    });

    it("refuses a --stack the pipeline does not run, naming both: exit 2, nothing sent", async () => {
      const printed: string[] = [];
      expect(await runBackfill(pipeline, printed, "--all")).to.equal(2);
      expect(printed[0]!.split("\n")[0]).to.equal(
        `npm run backfill: --stack dev, but the pipeline at ${pipeline.endpoint} runs stack ${stack}: ` +
          `pass --stack ${stack}, or restart npm start with --stack dev`,
      );
      expect(await queueCounts(pipeline, pipeline.topology.queueUrl)).to.equal(0);
    });

    it("redrive refuses it too, before it moves anything", async () => {
      const printed: string[] = [];
      const code = await redrive(["--endpoint", pipeline.endpoint], collect(printed));
      expect(code).to.equal(2);
      expect(printed[0]!.split("\n")[0]).to.equal(
        `npm run redrive: --stack dev, but the pipeline at ${pipeline.endpoint} runs stack ${stack}: ` +
          `pass --stack ${stack}, or restart npm start with --stack dev`,
      );
    });

    it('--prefix "" lists under the stack\'s filterPrefix and says so; one object stored as an annotation is "1 object"', async () => {
      await putUnnotified(pipeline, "incoming", corpusFiles(1));
      await putUnnotified(pipeline, "elsewhere", corpusFiles(1));
      const printed: string[] = [];
      const code = await runBackfill(pipeline, printed, "--stack", stack, "--all", "--prefix", "");
      expect(code).to.equal(0, printed.join("\n"));
      expect(printed[0]).to.equal("selecting --all objects under s3://uploads/incoming/");
      expect(printed).to.include("1 listed, 1 selected");
      expect(printed).to.include(`sent 1 message to ${pipeline.topology.queueUrl}`);
      expect(printed.at(-1)).to.equal("1 object: 1 stored, 0 failed, 0 waiting");
    });
  });
});
