// Cold start: a new Node process loads dist/function/handler.js with the
// environment the image and the stack give the function, as Lambda's runtime
// would, and is invoked once with one small object; the times come from the
// process itself (Date.now() shares the clock of this one).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ExifToolWorker } from "../function/exiftool/exiftool-worker";
import { LocalFileSource } from "./local-file-source";
import { processCpuMs } from "./cpu-time";
import { formatModules, preparationSteps } from "../function/exiftool/format-modules";
import { sqsRecord } from "../local/event-source-mapping";
import { exiftoolPath } from "../function/exiftool/locate";
import { functionEnvironment } from "../function/environment";
import { stackFunctionSettings } from "../infra/function-settings";
import { stackSettings } from "../infra/stack-file";
import type { ColdStart } from "./results";

const ROOT = join(__dirname, "..");
export const BUNDLE = join(ROOT, "dist", "function", "handler.js");

const INVOKE = `
const booted = Date.now();
const { handler } = require(process.argv[1]);
const loaded = Date.now();
const deadline = loaded + 60000;
handler(JSON.parse(process.argv[2]), { awsRequestId: "cold-start", functionName: "bench", getRemainingTimeInMillis: () => deadline - Date.now() })
  .then((response) => {
    process.stdout.write("TIMES " + JSON.stringify({ booted, loaded, done: Date.now(), response }) + "\\n");
    process.exit(0);
  }, (error) => { console.error(error); process.exit(1); });
`;

export interface ColdStartTarget {
  endpoint: string;
  /** The object's local copy, for the worker measured apart. */
  path: string;
  bucket: string;
  key: string;
  size: number;
  resultsBucket: string;
}

/** One cold start, then one worker started alone for its readiness. */
export async function measureColdStart(target: ColdStartTarget): Promise<ColdStart> {
  const settings = stackSettings(ROOT, "dev");
  const now = String(Date.now());
  // one message as the event source mapping delivers it
  const record = sqsRecord(
    {
      MessageId: "cold",
      ReceiptHandle: "cold",
      Body: JSON.stringify({
        Records: [
          {
            eventSource: "aws:s3",
            eventName: "ObjectCreated:Put",
            s3: {
              bucket: { name: target.bucket },
              object: { key: encodeURIComponent(target.key), size: target.size },
            },
          },
        ],
      }),
      Attributes: { ApproximateReceiveCount: "1", SentTimestamp: now },
    },
    "arn:aws:sqs:us-east-1:000000000000:bench",
    "us-east-1",
  );
  const event = { Records: [record] };
  const spawned = Date.now();
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ["-e", INVOKE, BUNDLE, JSON.stringify(event)],
    {
      cwd: join(ROOT, "dist", "function"),
      env: {
        ...functionEnvironment(
          stackFunctionSettings(
            { ...settings, enableEventBridge: false },
            { uploadBucket: target.bucket, resultsBucket: target.resultsBucket },
          ),
        ),
        PATH: process.env.PATH,
        EXIFTOOL_PATH: exiftoolPath(),
        AWS_LAMBDA_FUNCTION_NAME: "bench-cold-start",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memorySize),
        AWS_ENDPOINT_URL_S3: target.endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "bench",
        AWS_SECRET_ACCESS_KEY: "bench",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
    },
  );
  const line = stdout.split("\n").find((l) => l.startsWith("TIMES "));
  if (!line) throw new Error(`the cold-start process printed no times: ${stdout.slice(-500)}`);
  const times = JSON.parse(line.slice(6)) as {
    booted: number;
    loaded: number;
    done: number;
    response: { batchItemFailures: unknown[] };
  };
  if (times.response.batchItemFailures.length) {
    throw new Error(
      `the cold-start invocation failed: ${JSON.stringify(times.response)}\n${stdout.slice(-3000)}${stderr.slice(-3000)}`,
    );
  }
  const startedWorker = performance.now();
  const worker = await ExifToolWorker.start();
  const workerReadyMs = performance.now() - startedWorker;
  // ExifTool loads a format's modules on the first file that needs them
  const parse = async (): Promise<number> => {
    const source = new LocalFileSource(target.path);
    const started = performance.now();
    try {
      await worker.extract({
        source,
        directory: "cold",
        fileName: target.key,
        args: [],
        timeoutMs: 60_000,
      });
      return performance.now() - started;
    } finally {
      await source.close();
    }
  };
  const parentCpuAtReady = processCpuMs(worker.pid);
  // the parent takes one preparation step per object (each format module,
  // then huge pages), after its result when nothing waits: the first ten
  // objects pay for that, the ten after it is done do not
  const walls: number[] = [];
  const formats = formatModules().length;
  while (walls.length < Math.max(preparationSteps(), 10) + 10) walls.push(await parse());
  const parentCpuMs = processCpuMs(worker.pid) - parentCpuAtReady;
  await worker.close();
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  return {
    firstParseMs: walls[0]!,
    warmParseMs: walls[1]!,
    firstTenMs: sum(walls.slice(0, 10)),
    lastTenMs: sum(walls.slice(-10)),
    formatModules: formats,
    parentCpuMs,
    nodeBootMs: times.booted - spawned,
    initMs: times.loaded - times.booted,
    firstResultMs: times.done - times.loaded,
    totalMs: times.done - spawned,
    workerReadyMs,
  };
}
