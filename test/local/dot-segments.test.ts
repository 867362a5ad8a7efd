// Keys with "." and ".." segments, as `aws s3 cp F "s3://uploads/dots/../x.jpg"`
// sends them (literally): S3 keeps such keys as they are, so the proxy in
// front of the emulator must forward, notify and log them unresolved.
import { readFileSync } from "node:fs";
import http from "node:http";
import * as path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { ResultRecord } from "../../function/results/result-record";
import type { Pipeline } from "../../local/pipeline";
import { CORPUS, startTestPipeline, waitFor } from "./support";

/** A PUT with the path exactly as given: no client in between to resolve it. */
function rawPut(endpoint: string, pathAndQuery: string, body: Buffer): Promise<number> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: "PUT",
        path: pathAndQuery,
        headers: { "content-length": body.length },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function listKeys(pipeline: Pipeline, bucket: string): Promise<string[]> {
  const { Contents = [] } = await pipeline.direct.send(
    new ListObjectsV2Command({ Bucket: bucket }),
  );
  return Contents.map((object) => object.Key!).sort();
}

describe("keys with dot segments through the local proxy", () => {
  let pipeline: Pipeline;
  before(async () => {
    pipeline = await startTestPipeline();
  });
  after(() => pipeline.stop());

  it("stores, notifies and extracts dots/../x.jpg and ./dot.jpg under those very keys", async () => {
    const body = readFileSync(path.join(CORPUS, "Canon.jpg"));
    const keys = ["./dot.jpg", "dots/../x.jpg"];
    for (const key of keys) {
      expect(await rawPut(pipeline.endpoint, `/uploads/${key}`, body)).to.equal(200);
    }
    expect(await listKeys(pipeline, "uploads")).to.deep.equal(keys);
    expect(
      pipeline.proxy.log.filter((entry) => entry.method === "PUT").map((entry) => entry.key),
    ).to.include.members(keys);

    const results = await waitFor("both results", async () => {
      const found = await listKeys(pipeline, "results");
      return found.length === 2 ? found : undefined;
    });
    expect(results).to.deep.equal(keys.map((key) => `${key}.json`));
    for (const key of keys) {
      const object = await pipeline.direct.send(
        new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }),
      );
      const record = JSON.parse(await object.Body!.transformToString()) as ResultRecord;
      expect(record.key).to.equal(key);
      expect(record.metadata).to.include({ Make: "Canon" });
    }
  });
});
