// The deploy stage's smoke test against the local pipeline (the same handler,
// notifications and queue as on AWS, on 127.0.0.1).
import { expect } from "chai";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Pipeline } from "../../local/pipeline";
import { parseResultsLocation, smokeTest, type SmokeTarget } from "../../scripts/release/smoke";
import { startTestPipeline } from "../local/support";

describe("smoke test (deploy stage) against the local pipeline", function () {
  this.timeout(60_000);
  let pipeline: Pipeline;
  let target: SmokeTarget;

  before(async () => {
    pipeline = await startTestPipeline({ resultsPrefix: "meta/" });
    target = {
      uploadBucket: pipeline.topology.uploadBucket,
      resultsBucket: pipeline.topology.resultsBucket,
      resultsPrefix: "meta/",
      filterPrefix: "incoming/",
      filterSuffix: "",
    };
  });
  after(async () => {
    await pipeline?.stop();
  });

  const keys = async (bucket: string): Promise<string[]> =>
    ((await pipeline.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(
      (o) => o.Key!,
    );

  it("uploads under the filter, finds the run's own result, then removes both objects", async () => {
    const lines: string[] = [];
    const result = await smokeTest({
      s3: pipeline.s3,
      target,
      timeoutMs: 30_000,
      pollMs: 100,
      log: (line) => lines.push(line),
    });
    expect(result.key).to.match(/^incoming\/s3-exiftool-smoke-test\/[\w-]+\.png$/);
    expect(result.resultKey).to.equal(`meta/${result.key}.json`);
    expect(lines.at(-1)).to.match(/^result found after \d+ ms/);
    expect(await keys(target.uploadBucket)).not.to.include(result.key);
    expect(await keys(target.resultsBucket)).not.to.include(result.resultKey);
  });

  it("fails naming the missing result when none appears in time, and still cleans up", async () => {
    let failure: Error | undefined;
    try {
      await smokeTest({
        s3: pipeline.s3,
        target: { ...target, resultsPrefix: "elsewhere/" },
        timeoutMs: 1500,
        pollMs: 100,
      });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(
      /^no result at s3:\/\/[^/]+\/elsewhere\/incoming\/s3-exiftool-smoke-test\/.+\.png\.json after 1500 ms/,
    );
    // the upload is gone; its real result (under meta/) may still be on its way
    expect((await keys(target.uploadBucket)).filter((k) => k.includes("smoke-test"))).to.deep.equal(
      [],
    );
  });

  it("reads the stack's resultsLocation output", () => {
    expect(parseResultsLocation("s3://results-bucket/meta/")).to.deep.equal({
      bucket: "results-bucket",
      prefix: "meta/",
    });
    expect(parseResultsLocation("s3://results-bucket/")).to.deep.equal({
      bucket: "results-bucket",
      prefix: "",
    });
    expect(() => parseResultsLocation("results-bucket")).to.throw(/s3:\/\/BUCKET\/PREFIX/);
  });

  it("refuses a result that describes another file", async () => {
    // a result planted where the smoke test looks and the handler never writes
    // (the handler writes under meta/), so nothing races the planted one
    const original = pipeline.s3.send.bind(pipeline.s3);
    let planted = false;
    const s3 = Object.create(pipeline.s3) as typeof pipeline.s3;
    s3.send = (async (command: unknown) => {
      if (!planted && command instanceof GetObjectCommand) {
        planted = true;
        const input = command.input;
        await original(
          new PutObjectCommand({
            Bucket: input.Bucket,
            Key: input.Key,
            Body: JSON.stringify({ key: "other.png", metadata: { Comment: "not this run" } }),
          }),
        );
      }
      return original(command as never);
    }) as typeof s3.send;
    let failure: Error | undefined;
    try {
      await smokeTest({
        s3,
        target: { ...target, resultsPrefix: "elsewhere/" },
        timeoutMs: 10_000,
        pollMs: 100,
      });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(/does not describe the uploaded file/);
  });
});
