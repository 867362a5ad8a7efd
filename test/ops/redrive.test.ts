// `npm run redrive`: on a deployed stack through SQS message move tasks (the
// real SDK client, its requests recorded on 127.0.0.1), and end to end on the
// local pipeline, whose emulator has no move tasks.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import type { ResultRecord } from "../../function/results/result-record";
import { LOCAL_CREDENTIALS, type Pipeline } from "../../local/pipeline";
import { main, type CliIo } from "../../commands/redrive/cli";
import { startTestPipeline, waitFor } from "../local/support";
import { RecordingEndpoint, type RecordedRequest } from "../support/recording-endpoint";
import { collect } from "./support";

const ARN = "arn:aws:sqs:eu-west-1:111122223333";
const URL_BASE = "https://sqs.eu-west-1.amazonaws.com/111122223333";
const OUTPUTS = {
  region: "eu-west-1",
  queueUrl: `${URL_BASE}/s3-exiftool-prod-queue-a1b2c3d`,
  queueArn: `${ARN}:s3-exiftool-prod-queue-a1b2c3d`,
  deadLetterQueueUrl: `${URL_BASE}/s3-exiftool-prod-queue-dlq-a1b2c3d`,
  deadLetterQueueArn: `${ARN}:s3-exiftool-prod-queue-dlq-a1b2c3d`,
};

function io(printed: string[], awsSqs?: CliIo["awsSqs"]): CliIo {
  return { ...collect(printed), ...(awsSqs ? { awsSqs } : {}) };
}

describe("npm run redrive", function () {
  this.timeout(60_000);

  describe("on a deployed stack (SQS recorded)", () => {
    let recorder: RecordingEndpoint;
    let outputsFile: string;
    let lists = 0;
    const target = (request: RecordedRequest) => String(request.headers["x-amz-target"]);

    before(async () => {
      recorder = await new RecordingEndpoint((request) => {
        const json = (body: unknown) => ({
          contentType: "application/x-amz-json-1.0",
          body: JSON.stringify(body),
        });
        switch (target(request)) {
          case "AmazonSQS.GetQueueAttributes":
            return json({ Attributes: { ApproximateNumberOfMessages: "3" } });
          case "AmazonSQS.StartMessageMoveTask":
            return json({ TaskHandle: "task-handle-1" });
          case "AmazonSQS.ListMessageMoveTasks":
            lists += 1;
            return json({
              Results: [
                {
                  Status: lists === 1 ? "RUNNING" : "COMPLETED",
                  SourceArn: OUTPUTS.deadLetterQueueArn,
                  DestinationArn: OUTPUTS.queueArn,
                  ApproximateNumberOfMessagesMoved: lists === 1 ? 1 : 3,
                  ApproximateNumberOfMessagesToMove: 3,
                },
              ],
            });
          default:
            return { status: 400, contentType: "application/x-amz-json-1.0", body: "{}" };
        }
      }).start();
      outputsFile = path.join(mkdtempSync(path.join(tmpdir(), "redrive-test-")), "outputs.json");
      writeFileSync(outputsFile, JSON.stringify(OUTPUTS));
    });
    after(() => recorder.stop());

    const sqs = (region: string) =>
      new SQSClient({ endpoint: recorder.url, region, credentials: LOCAL_CREDENTIALS });

    it("--dry-run only counts the dead-letter queue", async () => {
      const printed: string[] = [];
      expect(await main(["--outputs", outputsFile, "--dry-run"], io(printed, sqs))).to.equal(0);
      expect(printed).to.deep.equal([
        `3 messages in ${OUTPUTS.deadLetterQueueUrl}`,
        `dry run: would move them to ${OUTPUTS.queueUrl}`,
      ]);
      expect(recorder.requests.map(target)).to.deep.equal(["AmazonSQS.GetQueueAttributes"]);
    });

    it("starts a message move task from the DLQ to the queue and follows it to the end", async () => {
      recorder.requests.length = 0;
      const printed: string[] = [];
      expect(await main(["--outputs", outputsFile, "--poll", "0.01"], io(printed, sqs))).to.equal(
        0,
      );
      expect(recorder.requests.map(target)).to.deep.equal([
        "AmazonSQS.GetQueueAttributes",
        "AmazonSQS.StartMessageMoveTask",
        "AmazonSQS.ListMessageMoveTasks",
        "AmazonSQS.ListMessageMoveTasks",
      ]);
      expect(JSON.parse(recorder.requests[1]!.body)).to.deep.equal({
        SourceArn: OUTPUTS.deadLetterQueueArn,
        DestinationArn: OUTPUTS.queueArn,
      });
      expect(JSON.parse(recorder.requests[2]!.body)).to.deep.equal({
        SourceArn: OUTPUTS.deadLetterQueueArn,
        MaxResults: 1,
      });
      expect(printed).to.include("message move task task-handle-1");
      expect(printed).to.include("RUNNING [##########--------------------] 1/3 (33%)");
      expect(printed.at(-1)).to.equal(`COMPLETED: moved 3 messages to ${OUTPUTS.queueUrl}`);
    });
  });

  describe("on the local pipeline", () => {
    let pipeline: Pipeline;
    before(async () => {
      pipeline = await startTestPipeline({ maxReceiveCount: 1 });
    });
    after(() => pipeline.stop());

    const deadLetters = async (): Promise<number> => {
      const { Attributes = {} } = await pipeline.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: pipeline.topology.deadLetterQueueUrl,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages);
    };

    it("moves poison messages back from the DLQ; once their cause is fixed they succeed", async () => {
      const poison = ["poison/one.txt", "poison/two.txt"];
      // every read of these objects fails as S3 does when it errs: retried, then dead-lettered
      pipeline.proxy.fault = (request) =>
        request.method === "GET" && poison.includes(request.key ?? "")
          ? { status: 500, code: "InternalError" }
          : undefined;
      for (const key of poison) {
        await pipeline.s3.send(
          new PutObjectCommand({ Bucket: pipeline.topology.uploadBucket, Key: key, Body: key }),
        );
      }
      await waitFor("2 messages in the DLQ", async () =>
        (await deadLetters()) === 2 ? true : undefined,
      );

      pipeline.proxy.fault = undefined;
      const printed: string[] = [];
      expect(await main(["--endpoint", pipeline.endpoint], io(printed))).to.equal(0);
      expect(printed[0]).to.equal(`2 messages in ${pipeline.topology.deadLetterQueueUrl}`);
      expect(printed.at(-1)).to.equal(`moved 2 messages to ${pipeline.topology.queueUrl}`);
      expect(await deadLetters()).to.equal(0);

      for (const key of poison) {
        const result = await waitFor(`the result of ${key}`, async () => {
          try {
            const object = await pipeline.direct.send(
              new GetObjectCommand({ Bucket: pipeline.topology.resultsBucket, Key: `${key}.json` }),
            );
            return JSON.parse(await object.Body!.transformToString()) as ResultRecord;
          } catch {
            return undefined;
          }
        });
        expect(result.key).to.equal(key);
      }
    });
  });
});
