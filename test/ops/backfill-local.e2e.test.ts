// `npm run backfill -- --endpoint` against the local pipeline: objects that
// were in the bucket before the pipeline watched it (put straight into the
// emulator, so no notification fired) get their results, and --missing
// leaves alone the ones that have one.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { ResultRecord } from "../../function/results/result-record";
import type { Pipeline } from "../../local/pipeline";
import { main } from "../../commands/backfill/cli";
import { corpusFiles, startTestPipeline, waitFor } from "../local/support";
import { collect, putUnnotified } from "./support";

describe("npm run backfill against the local pipeline", function () {
  this.timeout(60_000);
  let pipeline: Pipeline;
  let printed: string[];

  const backfill = (...argv: string[]): Promise<number> => {
    printed = [];
    return main(["--endpoint", pipeline.endpoint, "--poll", "0.1", ...argv], collect(printed));
  };

  const putExisting = (files: string[]): Promise<string[]> =>
    putUnnotified(pipeline, "before", files);

  async function results(): Promise<Map<string, ResultRecord>> {
    const { Contents = [] } = await pipeline.direct.send(
      new ListObjectsV2Command({ Bucket: pipeline.topology.resultsBucket }),
    );
    const found = new Map<string, ResultRecord>();
    for (const { Key } of Contents) {
      if (!Key!.endsWith(".json")) continue;
      const object = await pipeline.direct.send(
        new GetObjectCommand({ Bucket: pipeline.topology.resultsBucket, Key }),
      );
      found.set(Key!, JSON.parse(await object.Body!.transformToString()) as ResultRecord);
    }
    return found;
  }

  before(async () => {
    pipeline = await startTestPipeline();
  });
  after(() => pipeline.stop());

  it("extracts objects that were there before, then --missing sends only the new ones", async () => {
    const files = corpusFiles(6);
    const first = await putExisting(files.slice(0, 4));
    // nothing notified: the notifier hears only what passes the proxy, and no
    // request for these objects did, so none was sent and none is on its way
    await pipeline.notifications.drain();
    const seen = pipeline.proxy.log.filter(
      (entry) => entry.bucket === pipeline.topology.uploadBucket && first.includes(entry.key),
    );
    expect(seen.map((entry) => `${entry.method} ${entry.key}`)).to.deep.equal([]);
    expect((await results()).size).to.equal(0);

    expect(await backfill("--missing", "--dry-run")).to.equal(0);
    expect(printed).to.include("4 listed, 4 without a result, 0 with a result");
    expect((await results()).size).to.equal(0);

    expect(await backfill("--missing")).to.equal(0);
    expect(printed).to.include(`sent 4 messages to ${pipeline.topology.queueUrl}`);
    const after = await waitFor("4 results", async () => {
      const found = await results();
      return found.size === 4 ? found : undefined;
    });
    for (const [i, key] of first.entries()) {
      const result = after.get(`${key}.json`)!;
      expect(result).to.include({ bucket: "uploads", key, size: readFileSync(files[i]!).length });
    }

    const later = await putExisting(files.slice(4));
    expect(await backfill("--missing")).to.equal(0);
    expect(printed).to.include("6 listed, 2 without a result, 4 with a result");
    expect(printed).to.include(`sent 2 messages to ${pipeline.topology.queueUrl}`);
    const all = await waitFor("6 results", async () => {
      const found = await results();
      return found.size === 6 ? found : undefined;
    });
    for (const key of later) expect(all.get(`${key}.json`)!.key).to.equal(key);
    // the first four were not extracted again
    for (const key of first) {
      expect(all.get(`${key}.json`)!.extractedAt).to.equal(after.get(`${key}.json`)!.extractedAt);
    }
    // the manifests of both runs sit in the results location's backfill folder
    const { Contents = [] } = await pipeline.direct.send(
      new ListObjectsV2Command({
        Bucket: pipeline.topology.resultsBucket,
        Prefix: ".s3-exiftool/backfill/",
      }),
    );
    expect(Contents.map((c) => path.basename(c.Key!))).to.deep.equal([
      "manifest.csv",
      "manifest.csv",
    ]);
  });
});
