// Files built to be hostile to memory, through the built bundle with the dev
// stack's settings (1024 MB, 2 workers, each Perl limited to
// MAX_WORKER_RSS_MB): Node's peak resident memory, which the kernel records
// (VmHWM), stays within what the stack leaves it, Perl is held to its limit
// by the kernel, and the next object is stored.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { exiftoolPath } from "../../function/exiftool/locate";
import { loadLocalSettings } from "../../local/config";
import { pngZtxtBomb, tiffOneHugeTag } from "../../samples/hostile";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from "../support/local-s3";
import { s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";

const run = promisify(execFile);
const BUNDLE = join(__dirname, "..", "..", "dist", "function", "handler.js");
const MiB = 1024 * 1024;

// One invocation, then the process's own peak resident memory and the
// address-space limits the kernel held its Perl workers to, from /proc,
// sampled while it ran (a try alone stops the pool's workers, and its own
// worker is gone by the end).
const INVOKE = `
const { readdirSync, readFileSync } = require("node:fs");
const perlLimits = () => readdirSync("/proc").filter((entry) => /^\\d+$/.test(entry)).flatMap((pid) => {
  try {
    if (readFileSync("/proc/" + pid + "/stat", "utf8").split(") ")[1].split(" ")[1] !== String(process.pid)) return [];
    // perl itself: the shell that sets the limit before exec names worker.pl too
    if (readFileSync("/proc/" + pid + "/comm", "utf8").trim() !== "perl") return [];
    if (!readFileSync("/proc/" + pid + "/cmdline", "utf8").includes("worker.pl")) return [];
    return [/Max address space\\s+(\\S+)/.exec(readFileSync("/proc/" + pid + "/limits", "utf8"))[1]];
  } catch { return []; }
});
const { handler } = require(process.argv[1]);
const event = JSON.parse(process.argv[2]);
const deadline = Date.now() + 120000;
const seen = new Set();
const sampler = setInterval(() => perlLimits().forEach((limit) => seen.add(limit)), 20);
handler(event, { awsRequestId: "hostile", functionName: "hostile", getRemainingTimeInMillis: () => deadline - Date.now() })
  .then((response) => {
    clearInterval(sampler);
    const peak = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1];
    process.stdout.write("RESPONSE " + JSON.stringify({ response, peakKiB: Number(peak), perlLimits: [...seen] }) + "\\n");
    process.exit(0);
  }, (error) => { console.error(error); process.exit(1); });
`;

describe("hostile files under the dev stack's memory settings", function () {
  this.timeout(300_000);
  let local: LocalS3;
  const tiff = tiffOneHugeTag(256 * MiB);
  const bomb = pngZtxtBomb(256 * MiB);

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    await local.put("uploads", tiff.name, tiff.chunks());
    await local.put("uploads", bomb.name, bomb.chunks());
    await local.put("uploads", "next.jpg", readFileSync(join(CORPUS_DIR, "ExifTool.jpg")));
  });
  after(() => local.stop());

  it("keeps Node within its budget and Perl under its limit, and stores the next object", async () => {
    const settings = loadLocalSettings("dev");
    const env = settings.functionEnvironment;
    const capMiB = Number(env.MAX_WORKER_RSS_MB);
    const workers = Number(env.EXIFTOOL_WORKERS);
    // what the stack leaves Node: the function's memory less every worker's limit
    const nodeBudgetMiB = settings.memorySize - workers * capMiB;
    expect(nodeBudgetMiB).to.be.greaterThan(0);
    const event = sqsEvent(
      [tiff.name, bomb.name, "next.jpg"].map((key) =>
        sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: key, size: 1 }]), key),
      ),
    );
    const { stdout, stderr } = await run(
      process.execPath,
      ["-e", INVOKE, BUNDLE, JSON.stringify(event)],
      {
        cwd: join(__dirname, "..", "..", "dist", "function"),
        maxBuffer: 64 * MiB,
        env: {
          ...env,
          // this test is about memory: each object may use the invocation's
          // time, so a slow machine cannot turn a memory failure into a Timeout
          OBJECT_TIMEOUT_MS: "110000",
          UPLOAD_BUCKETS: "uploads",
          RESULTS_BUCKET: "results",
          PATH: process.env.PATH,
          EXIFTOOL_PATH: exiftoolPath(),
          AWS_LAMBDA_FUNCTION_NAME: "hostile",
          AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
          AWS_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        },
      },
    );
    const line = stdout.split("\n").find((entry) => entry.startsWith("RESPONSE "));
    expect(line, stderr).to.be.a("string");
    const { response, peakKiB, perlLimits } = JSON.parse(line!.slice(9));
    expect(peakKiB / 1024, "Node's peak RSS, MiB").to.be.at.most(nodeBudgetMiB);
    // every Perl worker (and so every child it forks) runs under the stack's
    // limit, or, for an object's one try alone, under the workers' together
    expect(perlLimits, "Perl workers' address-space limits").to.not.be.empty;
    for (const limit of perlLimits)
      expect([String(capMiB * MiB), String(workers * capMiB * MiB)]).to.include(limit);
    // the hostile objects fail the same way every time: held to a worker's
    // limit, then to the workers' together, each ends in a result that
    // records its failure, and no message is left to retry
    expect(response.batchItemFailures).to.deep.equal([]);
    for (const key of [tiff.name, bomb.name]) {
      const record = await local.direct.send(
        new GetObjectCommand({ Bucket: "results", Key: `${key}.json` }),
      );
      const { status, failure } = JSON.parse(await record.Body!.transformToString());
      expect(status, key).to.equal("failed");
      expect(["MemoryExceeded", "OutputTooLarge"], key).to.include(failure.type);
    }
    const stored = await local.direct.send(
      new GetObjectCommand({ Bucket: "results", Key: "next.jpg.json" }),
    );
    const result = JSON.parse(await stored.Body!.transformToString());
    expect(result.metadata.Artist).to.equal("Phil Harvey");
  });
});
