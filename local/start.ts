// `npm start [-- [--port N] [--stack NAME] [--verbose] FILE...]`: the whole
// pipeline on this machine. With files: upload them, wait for their
// results, print them as one JSON array on stdout and exit 1 naming every
// failure. Without: serve until Ctrl-C, a line per processed object.
// Everything else (endpoint, progress, warnings) goes to stderr.
import { createReadStream, statSync } from "node:fs";
import * as path from "node:path";
import type { LocalSettings } from "./config";
import type { Outcome, Outcomes } from "./outcomes";
import type { Pipeline } from "./pipeline";

const USAGE = `usage: npm start -- [--port N] [--stack NAME] [--verbose] [FILE...]
  --port N      listen on 127.0.0.1:N (default: $PORT or 4566; 0 picks a free port)
  --stack NAME  read settings from Pulumi.NAME.yaml (default: dev)
  --verbose     show the handler's own log lines at the stack's logLevel
  FILE...       upload these, print their results as a JSON array, exit 1 if any failed`;

interface Args {
  port: number;
  stack: string;
  verbose: boolean;
  files: string[];
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | "help" {
  const args: Args = {
    port: Number(process.env.PORT ?? 4566),
    stack: "dev",
    verbose: false,
    files: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === "--help" || arg === "-h") return "help";
    else if (arg === "--port") args.port = Number(value());
    else if (arg === "--stack") args.stack = value();
    else if (arg === "--verbose") args.verbose = true;
    else if (arg === "--") {
      args.files.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
    else args.files.push(arg);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new UsageError(`the port must be a number from 0 to 65535`);
  }
  return args;
}

/** Every FILE must be a readable regular file before anything starts. */
function checkFiles(files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    try {
      if (!statSync(file).isFile()) problems.push(`${file}: not a regular file`);
    } catch {
      problems.push(`${file}: no such file`);
    }
  }
  const keys = files.map((file) => path.basename(file));
  const twice = keys.filter((key, index) => keys.indexOf(key) !== index);
  for (const key of new Set(twice))
    problems.push(`${key}: given twice (files are uploaded by name)`);
  return problems;
}

const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function banner(pipeline: Pipeline, settings: LocalSettings): void {
  const { topology, endpoint } = pipeline;
  err(`s3-exiftool local pipeline (stack ${settings.stack}) on ${endpoint}`);
  err(`  upload bucket   s3://${topology.uploadBucket}/`);
  err(`  results         s3://${topology.resultsBucket}/${settings.resultsPrefix}<key>.json`);
  err(`  queue           ${topology.queueUrl}`);
  err(
    `  dead letters    ${topology.deadLetterQueueUrl} (after ${settings.maxReceiveCount} receives)`,
  );
  err(
    `  batches of ${settings.batchSize}, window ${settings.maximumBatchingWindowSeconds} s, ` +
      `timeout ${settings.timeoutSeconds} s, visibility ${settings.visibilityTimeoutSeconds} s`,
  );
}

function describe(outcome: Outcome, settings: LocalSettings): string {
  switch (outcome.status) {
    case "stored":
      return `stored  ${outcome.key} -> s3://${settings.resultsBucket}/${outcome.resultKey} (${Object.keys(outcome.result.metadata).length} tags)`;
    case "failed":
      return (
        `FAILED  ${outcome.key}: ${outcome.reason}; receive ${outcome.receiveCount} of ${settings.maxReceiveCount}, ` +
        (outcome.toDeadLetterQueue
          ? "moves to the dead-letter queue at its next receive"
          : `retried after ${settings.visibilityTimeoutSeconds} s`)
      );
    case "no-result":
      return `skipped ${outcome.key}: ${outcome.reason}`;
  }
}

const MiB = 1024 * 1024;

function progress(file: string, size: number): ((loaded: number) => void) | undefined {
  // small files go up in one PUT: nothing to watch
  if (size <= 8 * MiB) return undefined;
  let shown = -1;
  return (loaded) => {
    const percent = Math.floor((loaded / size) * 100);
    if (percent < shown + 10 && percent < 100) return;
    shown = percent;
    err(
      `  uploading ${file}: ${percent}% (${(loaded / MiB).toFixed(1)} of ${(size / MiB).toFixed(1)} MiB)`,
    );
  };
}

async function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function processFiles(
  pipeline: Pipeline,
  settings: LocalSettings,
  files: string[],
  outcomes: Outcomes,
): Promise<number> {
  const { uploadObject } = await import("./upload");
  // the first failed attempt settles a file: its retry would come only after
  // the visibility timeout (minutes on the stack's clock)
  const waitMs = (settings.timeoutSeconds + 30) * 1000;
  const results = await Promise.all(
    files.map(async (file): Promise<Outcome> => {
      const key = path.basename(file);
      if (!pipeline.notifications.matches(key)) {
        return {
          key,
          status: "no-result",
          reason: `the stack's notification filter (prefix "${settings.filterPrefix}", suffix "${settings.filterSuffix}") does not announce it`,
        };
      }
      const outcome = outcomes.next(key);
      const size = statSync(file).size;
      await uploadObject(
        pipeline.s3,
        settings.uploadBucket,
        key,
        createReadStream(file),
        progress(file, size),
      );
      err(`uploaded ${file} (${size} bytes) to s3://${settings.uploadBucket}/${key}`);
      return withTimeout<Outcome>(outcome, waitMs, {
        key,
        status: "no-result",
        reason: `no outcome within ${waitMs / 1000} s`,
      });
    }),
  );
  process.stdout.write(
    `${JSON.stringify(
      results.filter((o) => o.status === "stored").map((o) => o.result),
      null,
      2,
    )}\n`,
  );
  const failures = results.filter((o) => o.status !== "stored");
  for (const failure of failures) err(describe(failure, settings));
  if (failures.length > 0)
    err(`${failures.length} of ${files.length} failed: ${failures.map((f) => f.key).join(", ")}`);
  return failures.length > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  // The pinned SDK runs on Node 20; its notice that later SDK releases will
  // need Node 22 would otherwise open every run's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  let args: Args | "help";
  try {
    args = parseArgs(argv);
  } catch (error) {
    err(`npm start: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args === "help") {
    err(USAGE);
    return 0;
  }
  const problems = checkFiles(args.files);
  if (problems.length > 0) {
    for (const problem of problems) err(`npm start: ${problem}`);
    return 2;
  }

  // loaded only now: a typo in the arguments should not wait for the SDKs
  const { loadLocalSettings } = await import("./config");
  const { startPipeline } = await import("./pipeline");
  const { Outcomes } = await import("./outcomes");
  let settings: LocalSettings;
  try {
    settings = loadLocalSettings(args.stack);
  } catch (error) {
    err(`npm start: ${(error as Error).message}`);
    return 2;
  }
  const serving = args.files.length === 0;
  const pipeline = await startPipeline({
    settings,
    port: args.port,
    handlerLogLevel: args.verbose ? settings.logLevel : "WARN",
  });
  const outcomes = new Outcomes({ s3: pipeline.direct, ...settings });
  pipeline.onBatch(async (report) => {
    for (const outcome of await outcomes.record(report)) {
      if (serving) process.stdout.write(`${describe(outcome, settings)}\n`);
    }
  });

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    err(`\n${signal}: finishing the batch in flight, then stopping`);
    stopping = pipeline.stop().finally(() => process.exit(130));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  banner(pipeline, settings);
  if (serving) {
    err(`ready: aws --endpoint-url ${pipeline.endpoint} s3 cp FILE s3://${settings.uploadBucket}/`);
    err(
      `  (any credentials do, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${settings.region}); Ctrl-C stops`,
    );
    return new Promise<number>(() => undefined);
  }
  const code = await processFiles(pipeline, settings, args.files, outcomes);
  if (!stopping) await pipeline.stop();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    err(`npm start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
