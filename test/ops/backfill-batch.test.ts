// `npm run backfill` against a deployed stack, without AWS: S3 is the
// emulator, S3 Control a recording endpoint on 127.0.0.1 that the real SDK
// client sends its CreateJob and DescribeJob requests to.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { expect } from "chai";
import { createS3Client } from "../../function/ranges/s3-client";
import { startEmulator, type Emulator } from "../../local/emulator";
import { LOCAL_CREDENTIALS } from "../../local/pipeline";
import { main } from "../../commands/backfill/cli";
import { RecordingEndpoint, type RecordedRequest } from "../support/recording-endpoint";

const ACCOUNT = "111122223333";
const OUTPUTS = {
  uploadBucketName: "team-photos",
  resultsBucketName: "team-results",
  resultsPrefix: "exif/",
  filterPrefix: "photos/",
  filterSuffix: "",
  exiftoolVersion: "13.59",
  exiftoolOptions: ["-G1"],
  accountId: ACCOUNT,
  region: "eu-west-1",
  functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:s3-exiftool-prod-function-a1b2c3d`,
  batchOperationsRoleArn: `arn:aws:iam::${ACCOUNT}:role/s3-exiftool-prod-batch-operations-a1b2c3d`,
  // outputs the backfill does not read are ignored
  queueUrl: "https://sqs.eu-west-1.amazonaws.com/111122223333/q",
};

/** First element `name`'s text in an XML document. */
const tag = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe("npm run backfill on a deployed stack (S3 Control recorded)", function () {
  this.timeout(30_000);
  let emulator: Emulator;
  let s3: S3Client;
  let recorder: RecordingEndpoint;
  let outputsFile: string;
  const hosts: string[] = [];
  let failTasks = 0;
  let printed: string[] = [];

  const run = (...argv: string[]): Promise<number> => {
    printed = [];
    return main(["--outputs", outputsFile, "--poll", "0.01", ...argv], {
      print: (line) => printed.push(line),
      progress: { write: (text) => printed.push(text.trimEnd()) },
      error: (line) => printed.push(line),
      awsClients: () => {
        const s3control = new S3ControlClient({
          // S3 Control puts the account id before the host: a name that never
          // resolves, and the request is sent to the recorder instead
          endpoint: `http://s3-control.invalid:${new URL(recorder.url).port}`,
          region: OUTPUTS.region,
          credentials: LOCAL_CREDENTIALS,
        });
        s3control.middlewareStack.add(
          (next) => async (args) => {
            const request = args.request as { hostname: string };
            hosts.push(request.hostname);
            request.hostname = "127.0.0.1";
            return next(args);
          },
          { step: "build" },
        );
        return {
          s3: createS3Client({
            endpoint: emulator.endpoint,
            region: OUTPUTS.region,
            credentials: LOCAL_CREDENTIALS,
          }),
          s3control,
        };
      },
    });
  };

  const describes = new Map<string, number>();
  const answer = (request: RecordedRequest) => {
    const xml = (body: string) => ({
      contentType: "application/xml",
      body: `<?xml version="1.0" encoding="UTF-8"?>${body}`,
    });
    if (request.method === "POST") {
      return xml(
        `<CreateJobResult><JobId>job-${recorder.requests.length}</JobId></CreateJobResult>`,
      );
    }
    const jobId = request.path.split("/").pop()!;
    const seen = (describes.get(jobId) ?? 0) + 1;
    describes.set(jobId, seen);
    const total = 4;
    const [status, done] = seen === 1 ? ["Active", 1] : ["Complete", total];
    const failed = Math.min(failTasks, done);
    return xml(
      `<DescribeJobResult><Job><JobId>${jobId}</JobId><Status>${status}</Status><ProgressSummary>` +
        `<TotalNumberOfTasks>${total}</TotalNumberOfTasks><NumberOfTasksSucceeded>${done - failed}</NumberOfTasksSucceeded>` +
        `<NumberOfTasksFailed>${failed}</NumberOfTasksFailed></ProgressSummary></Job></DescribeJobResult>`,
    );
  };

  async function put(bucket: string, key: string, body: string): Promise<string> {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return ETag!.replace(/"/g, "");
  }

  async function putResult(key: string, fields: Record<string, unknown>): Promise<void> {
    const result = { bucket: OUTPUTS.uploadBucketName, key, size: 1, metadata: {}, ...fields };
    await put(OUTPUTS.resultsBucketName, `exif/${key}.json`, JSON.stringify(result));
  }

  async function backfillFiles(): Promise<string[]> {
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: OUTPUTS.resultsBucketName, Prefix: "exif/.s3-exiftool/" }),
    );
    return Contents.map((object) => object.Key!);
  }

  async function manifestOf(objectArn: string): Promise<string> {
    const key = objectArn.replace(`arn:aws:s3:::${OUTPUTS.resultsBucketName}/`, "");
    const object = await s3.send(
      new GetObjectCommand({ Bucket: OUTPUTS.resultsBucketName, Key: key }),
    );
    return object.Body!.transformToString();
  }

  before(async () => {
    emulator = await startEmulator();
    s3 = createS3Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
    });
    recorder = await new RecordingEndpoint(answer).start();
    for (const bucket of [OUTPUTS.uploadBucketName, OUTPUTS.resultsBucketName]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const current = { exiftoolVersion: "13.59", exiftoolOptions: ["-G1"] };
    const eTag = (key: string) => put(OUTPUTS.uploadBucketName, key, `bytes of ${key}`);
    await putResult("photos/current.jpg", { ...current, eTag: await eTag("photos/current.jpg") });
    await putResult("photos/old version.jpg", {
      ...current,
      eTag: await eTag("photos/old version.jpg"),
      exiftoolVersion: "13.10",
    });
    await putResult("photos/no options.jpg", {
      eTag: await eTag("photos/no options.jpg"),
      exiftoolVersion: "13.59",
    });
    await eTag("photos/changed,+ü.jpg");
    await putResult("photos/changed,+ü.jpg", {
      ...current,
      eTag: "0123456789abcdef0123456789abcdef",
    });
    await eTag("photos/new.jpg");
    // outside the stack's filterPrefix: never notified, never read by the function
    await eTag("elsewhere/skipped.jpg");
    outputsFile = path.join(mkdtempSync(path.join(tmpdir(), "backfill-test-")), "outputs.json");
    writeFileSync(outputsFile, JSON.stringify(OUTPUTS));
  });

  after(async () => {
    await recorder.stop();
    s3.destroy();
    await emulator.stop();
  });

  it("--dry-run counts what --stale would pick and writes or starts nothing", async () => {
    expect(await run("--stale", "--dry-run")).to.equal(0);
    expect(printed).to.include("5 listed, 1 without a result, 3 stale, 1 current");
    expect(printed.join("\n")).to.include(`dry run: would write 4 objects`);
    expect(recorder.requests).to.have.length(0);
    expect(await backfillFiles()).to.deep.equal([]);
  });

  it("--stale writes a CSV manifest of the missing and stale objects and creates a Batch Operations job", async () => {
    expect(await run("--stale")).to.equal(0);
    const [create, ...polls] = recorder.requests;
    expect(create!.method).to.equal("POST");
    expect(create!.path).to.equal("/v20180820/jobs");
    expect(create!.headers["x-amz-account-id"]).to.equal(ACCOUNT);
    expect(hosts[0]).to.equal(`${ACCOUNT}.s3-control.invalid`);

    const body = create!.body;
    expect(body).to.match(
      /^<\?xml[^>]*\?><CreateJobRequest xmlns="http:\/\/awss3control\.amazonaws\.com\/doc\/2018-08-20\/">/,
    );
    expect(body).to.include(
      `<Operation><LambdaInvoke><FunctionArn>${OUTPUTS.functionArn}</FunctionArn>` +
        "<InvocationSchemaVersion>2.0</InvocationSchemaVersion><UserArguments>",
    );
    expect(body).to.include("<entry><key>selection</key><value>stale</value></entry>");
    expect(body).to.include(
      "<Spec><Format>S3BatchOperations_CSV_20180820</Format><Fields><member>Bucket</member><member>Key</member></Fields></Spec>",
    );
    expect(tag(body, "RoleArn")).to.equal(OUTPUTS.batchOperationsRoleArn);
    expect(tag(body, "ConfirmationRequired")).to.equal("false");
    expect(tag(body, "ClientRequestToken")).to.match(/^[0-9a-f-]{36}$/);
    expect(tag(body, "Priority")).to.equal("10");
    const report = /<Report>(.*)<\/Report>/.exec(body)![1]!;
    expect(tag(report, "Enabled")).to.equal("true");
    expect(tag(report, "Bucket")).to.equal(`arn:aws:s3:::${OUTPUTS.resultsBucketName}`);
    expect(tag(report, "Format")).to.equal("Report_CSV_20180820");
    expect(tag(report, "ReportScope")).to.equal("AllTasks");
    expect(tag(report, "Prefix")).to.match(/^exif\/\.s3-exiftool\/backfill\/[^/]+\/report$/);

    const objectArn = tag(body, "ObjectArn")!;
    expect(objectArn).to.match(
      /^arn:aws:s3:::team-results\/exif\/\.s3-exiftool\/backfill\/[^/]+\/manifest\.csv$/,
    );
    expect(tag(report, "Prefix")!.replace(/report$/, "manifest.csv")).to.equal(
      objectArn.replace("arn:aws:s3:::team-results/", ""),
    );
    const manifest = await manifestOf(objectArn);
    expect(manifest).to.equal(
      [
        "team-photos,photos%2Fchanged%2C%2B%C3%BC.jpg",
        "team-photos,photos%2Fnew.jpg",
        "team-photos,photos%2Fno%20options.jpg",
        "team-photos,photos%2Fold%20version.jpg",
        "",
      ].join("\n"),
    );
    const keys = manifest
      .trim()
      .split("\n")
      .map((line) => decodeURIComponent(line.split(",")[1]!));
    expect(keys).to.include("photos/changed,+ü.jpg");
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: OUTPUTS.resultsBucketName,
        Key: objectArn.replace("arn:aws:s3:::team-results/", ""),
      }),
    );
    // unquoted, as the CreateJob examples give it
    expect(tag(body, "ETag")).to.equal(head.ETag!.replace(/"/g, ""));

    // followed with DescribeJob until the job ended
    const jobId = "job-1";
    expect(polls.map((p) => [p.method, p.path])).to.deep.equal([
      ["GET", `/v20180820/jobs/${jobId}`],
      ["GET", `/v20180820/jobs/${jobId}`],
    ]);
    expect(printed).to.include(`job ${jobId}`);
    expect(printed).to.include(`Active [########----------------------] 1/4 (25%)`);
    expect(printed.at(-1)).to.include(`job ${jobId} Complete: 4 succeeded, 0 failed`);
  });

  it("--missing picks only objects without a result, and exits 1 when tasks failed", async () => {
    recorder.requests.length = 0;
    failTasks = 1;
    expect(await run("--missing")).to.equal(1);
    expect(printed).to.include("5 listed, 1 without a result, 4 with a result");
    const manifest = await manifestOf(tag(recorder.requests[0]!.body, "ObjectArn")!);
    expect(manifest).to.equal("team-photos,photos%2Fnew.jpg\n");
    expect(printed.at(-1)).to.include("3 succeeded, 1 failed");
  });

  it("refuses a prefix outside the stack's filterPrefix and a missing output, naming them", async () => {
    recorder.requests.length = 0;
    // a bad argument exits 2, a stack without the output 1, each named
    expect(await run("--all", "--prefix", "elsewhere/")).to.equal(2);
    expect(printed.join("\n")).to.match(/outside the stack's filterPrefix "photos\/"/);
    const partial = path.join(path.dirname(outputsFile), "partial.json");
    writeFileSync(partial, JSON.stringify({ ...OUTPUTS, batchOperationsRoleArn: undefined }));
    const errors: string[] = [];
    const code = await main(["--outputs", partial, "--all"], {
      print: () => undefined,
      progress: { write: () => undefined },
      error: (line) => errors.push(line),
    });
    expect(code).to.equal(1);
    expect(errors.join("\n")).to.match(/no string output "batchOperationsRoleArn"/);
    expect(await run("--all", "--missing")).to.equal(2);
    expect(printed.join("\n")).to.include("choose exactly one of --missing, --stale, --all");
    expect(recorder.requests).to.have.length(0);
  });
});
