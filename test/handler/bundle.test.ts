// The file the image runs: dist/function/handler.js (built by `npm run build`,
// which `npm test` runs first), loaded by a plain Node process with the
// environment the image sets, invoked with an SQS event against the emulator.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { exiftoolPath } from "../../function/exiftool/locate";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from "../support/local-s3";
import { s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";

const run = promisify(execFile);
const BUNDLE = join(__dirname, "..", "..", "dist", "function", "handler.js");

// Loads the bundle as Lambda's runtime would (by path, no TypeScript), invokes it once.
const INVOKE = `
const { handler } = require(process.argv[1]);
const event = JSON.parse(process.argv[2]);
const deadline = Date.now() + 30000;
handler(event, { awsRequestId: "bundle-test", functionName: "bundle-test", getRemainingTimeInMillis: () => deadline - Date.now() })
  .then((response) => { process.stdout.write("RESPONSE " + JSON.stringify(response) + "\\n"); process.exit(0); },
        (error) => { console.error(error); process.exit(1); });
`;

describe("the built function bundle", function () {
  this.timeout(60_000);
  let local: LocalS3;

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    await local.put("uploads", "in/ExifTool.jpg", readFileSync(join(CORPUS_DIR, "ExifTool.jpg")));
  });
  after(() => local.stop());

  it("runs from dist/function with the image's environment and stores the result", async () => {
    const event = sqsEvent([
      sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: "in/ExifTool.jpg" }]), "one"),
    ]);
    const { stdout } = await run(process.execPath, ["-e", INVOKE, BUNDLE, JSON.stringify(event)], {
      cwd: join(__dirname, "..", "..", "dist", "function"),
      env: {
        PATH: process.env.PATH,
        EXIFTOOL_PATH: exiftoolPath(),
        // as on Lambda: the handler is built, and a worker started, when the bundle loads
        AWS_LAMBDA_FUNCTION_NAME: "bundle-test",
        RESULTS_BUCKET: "results",
        UPLOAD_BUCKETS: "uploads",
        AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
    });
    const response = JSON.parse(
      stdout
        .split("\n")
        .find((line) => line.startsWith("RESPONSE "))!
        .slice(9),
    );
    expect(response).to.deep.equal({ batchItemFailures: [] });
    const stored = await local.direct.send(
      new GetObjectCommand({ Bucket: "results", Key: "in/ExifTool.jpg.json" }),
    );
    const result = JSON.parse(await stored.Body!.transformToString());
    expect(result.metadata.SourceFile).to.equal("s3://uploads/in/ExifTool.jpg");
    expect(result.metadata.Artist).to.equal("Phil Harvey");
  });
});
