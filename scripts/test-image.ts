// `npm run test:image`: builds the function image with Docker for linux/arm64,
// runs it through the Runtime Interface Emulator that the Lambda base image
// carries, and invokes it with an SQS batch holding an S3 notification for a
// small PNG in a local S3 server (the project's in-process emulator). The
// result object must appear in the results bucket.
//
// Without a Docker engine it says so and exits 0. Not part of `npm test`: a
// cross-platform arm64 build needs QEMU/binfmt on x86 hosts and takes minutes.
//
// Usage: npm run test:image [-- --stack dev] [--perl-source system|source]
// (TEST_IMAGE_TAG=repo:tag keeps the tested image under that tag)
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import * as path from "node:path";
import { imageBuildArgs, PLATFORM } from "../infra/image";
import { functionEnvironment } from "../function/environment";
import { stackFunctionSettings } from "../infra/function-settings";
import { stackSettings } from "../infra/stack-file";
import { startEmulator } from "../local/emulator";
import { sqsRecord } from "../local/event-source-mapping";
import { nextSequencer, s3EventBody } from "../local/s3-event";
import { dockerUnavailable } from "./docker-engine";
import { tinyPng } from "./tiny-png";

const ROOT = path.join(__dirname, "..");
const UPLOADS = "uploads";
const RESULTS = "results";
const OBJECT_KEY = "incoming/test image.png";
const PNG_COMMENT = "s3-exiftool image test";

function run(command: string, args: string[]): void {
  console.log(`$ ${command} ${args.join(" ")}`);
  execFileSync(command, args, { cwd: ROOT, stdio: "inherit" });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The SQS batch Lambda would hand the function for one S3 ObjectCreated event. */
function sqsEvent(bucket: string, key: string, size: number, eTag: string): object {
  const body = s3EventBody(
    { bucket, key, size, eTag: eTag.replace(/"/g, ""), sequencer: nextSequencer() },
    {
      eventName: "ObjectCreated:Put",
      region: "us-east-1",
      eventTime: new Date(),
      configurationId: "test-image",
      requestId: "TESTIMAGE0000001",
      hostId: "test-image",
      sourceIPAddress: "127.0.0.1",
    },
  );
  const message = {
    MessageId: "00000000-0000-4000-8000-000000000001",
    ReceiptHandle: "test-receipt-handle",
    Body: body,
    Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
  };
  return {
    Records: [
      sqsRecord(message, "arn:aws:sqs:us-east-1:000000000000:s3-exiftool-test", "us-east-1"),
    ],
  };
}

async function invoke(port: number, event: object, deadline: number): Promise<unknown> {
  const url = `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`;
  for (;;) {
    try {
      const response = await fetch(url, { method: "POST", body: JSON.stringify(event) });
      return JSON.parse(await response.text()) as unknown;
    } catch (error) {
      // The emulator is still starting.
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function main(): Promise<void> {
  const unavailable = dockerUnavailable();
  if (unavailable) {
    console.log(`test:image skipped, it needs a Docker engine with buildx: ${unavailable}`);
    return;
  }
  const option = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const stack = option("--stack") ?? process.env.STACK ?? "dev";
  const perlSource = option("--perl-source");
  const settings = stackSettings(ROOT, stack, perlSource ? { perlSource } : {});
  console.log(`image test for stack ${stack}, Perl from ${settings.perlSource}`);

  run("npm", ["run", "build"]);
  // TEST_IMAGE_TAG names the image and keeps it (the release build pushes it)
  const keptTag = process.env.TEST_IMAGE_TAG;
  const tag = keptTag || `s3-exiftool-test:${randomBytes(6).toString("hex")}`;
  const buildArgs = Object.entries(imageBuildArgs(settings)).flatMap(([k, v]) => [
    "--build-arg",
    `${k}=${v}`,
  ]);
  // Lambda refuses image indexes with attestations: build a plain image.
  run("docker", [
    "buildx",
    "build",
    "--platform",
    PLATFORM,
    "--provenance=false",
    "--load",
    "-t",
    tag,
    ...buildArgs,
    ".",
  ]);

  const s3Server = await startEmulator();
  let container = "";
  try {
    const s3 = new S3Client({
      endpoint: s3Server.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await s3.send(new CreateBucketCommand({ Bucket: UPLOADS }));
    await s3.send(new CreateBucketCommand({ Bucket: RESULTS }));
    const png = tinyPng(PNG_COMMENT);
    const put = await s3.send(
      new PutObjectCommand({ Bucket: UPLOADS, Key: OBJECT_KEY, Body: png }),
    );

    const [emulatorPort, runtimePort] = [await freePort(), await freePort()];
    const environment: Record<string, string> = {
      ...functionEnvironment(
        stackFunctionSettings(settings, { uploadBucket: UPLOADS, resultsBucket: RESULTS }),
      ),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_ENDPOINT_URL_S3: s3Server.endpoint,
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(settings.timeout),
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memorySize),
      _HANDLER: "handler.handler",
    };
    // No EventBridge here: the local run checks the S3 result only.
    delete environment.EVENT_BUS_NAME;
    // Host networking keeps every connection on loopback: the function
    // reaches the S3 server at 127.0.0.1, and the emulator listens there on
    // free ports rather than the fixed 8080/9001 the base entrypoint uses.
    const runArgs = [
      "run",
      "-d",
      "--rm",
      "--network",
      "host",
      "--platform",
      PLATFORM,
      ...Object.entries(environment).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      "--entrypoint",
      "/usr/local/bin/aws-lambda-rie",
      tag,
      "--runtime-interface-emulator-address",
      `127.0.0.1:${emulatorPort}`,
      "--runtime-api-address",
      `127.0.0.1:${runtimePort}`,
      "/var/runtime/bootstrap",
    ];
    container = execFileSync("docker", runArgs, { cwd: ROOT, encoding: "utf8" }).trim();
    const logs = spawn("docker", ["logs", "-f", container], { stdio: "inherit" });

    const response = await invoke(
      emulatorPort,
      sqsEvent(UPLOADS, OBJECT_KEY, png.length, put.ETag ?? ""),
      Date.now() + 120_000,
    );
    logs.kill();
    console.log("function response:", JSON.stringify(response));
    const failures = (response as { batchItemFailures?: unknown[] }).batchItemFailures;
    if (!Array.isArray(failures) || failures.length !== 0) {
      throw new Error(`expected { batchItemFailures: [] }, got ${JSON.stringify(response)}`);
    }
    const resultKey = `${settings.resultsPrefix}${OBJECT_KEY}.json`;
    const stored = await s3.send(new GetObjectCommand({ Bucket: RESULTS, Key: resultKey }));
    const text = (await stored.Body?.transformToString()) ?? "";
    for (const expected of ["PNG", PNG_COMMENT]) {
      if (!text.includes(expected))
        throw new Error(`result ${resultKey} lacks "${expected}": ${text.slice(0, 500)}`);
    }
    console.log(
      `test:image passed: s3://${RESULTS}/${resultKey} holds the metadata (${text.length} bytes)`,
    );
  } finally {
    if (container) spawnSync("docker", ["stop", container], { stdio: "ignore" });
    if (!keptTag) spawnSync("docker", ["image", "rm", tag], { stdio: "ignore" });
    await s3Server.stop();
  }
}

main().catch((error: unknown) => {
  console.error("test:image failed:", error);
  process.exit(1);
});
