// `npm start [-- [--port N] [--stack NAME] [--key-prefix P] [--verbose] FILE...]`:
// the whole pipeline on this machine. With files: upload them, wait for
// their results, print them as one JSON array on stdout and exit 1 naming
// every failure. Without: serve until Ctrl-C, a line per processed object.
// Everything else (endpoint, progress, warnings, the handler's log lines)
// goes to stderr.
import { createReadStream, statSync } from "node:fs";
import * as path from "node:path";
import type { LocalSettings } from "../local/config";
import type { Outcome, Outcomes } from "../local/outcomes";
import type { Pipeline } from "../local/pipeline";
import { printableKey } from "../local/printable";
import { plural } from "./plural";

const USAGE = `usage: npm start -- [--port N] [--stack NAME] [--key-prefix P] [--verbose] [FILE...]
  --port N        listen on 127.0.0.1:N (default: $PORT or 4566; 0 picks a free port)
  --stack NAME    read settings from Pulumi.NAME.yaml (default: dev)
  --key-prefix P  upload FILEs as P<name> (default: the stack's filterPrefix)
  --verbose       show the handler's own log lines (on stderr) at the stack's logLevel
  FILE...         upload these, print their results as a JSON array, exit 1 if any failed`;

interface Args {
  port: number;
  stack: string;
  keyPrefix?: string;
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
    else if (arg === "--key-prefix") args.keyPrefix = value();
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

/**
 * Keeps stdout for results only: returns what writes to it, and points
 * process.stdout at stderr for everything else in this process. The handler
 * runs in-process and its logger (Powertools) writes INFO lines to
 * process.stdout, as on Lambda, where stdout is the log.
 */
function reserveStdout(): (text: string) => void {
  const stdout = process.stdout;
  Object.defineProperty(process, "stdout", {
    configurable: true,
    enumerable: true,
    get: () => process.stderr,
  });
  return (text) => {
    stdout.write(text);
  };
}

const out = reserveStdout();

function banner(pipeline: Pipeline, settings: LocalSettings): void {
  const { topology, endpoint } = pipeline;
  err(`s3-exiftool local pipeline (stack ${settings.stack}) on ${endpoint}`);
  err(`  upload bucket   s3://${topology.uploadBucket}/`);
  err(`  results         s3://${topology.resultsBucket}/${settings.resultsPrefix}<key>.json`);
  err(`  queue           ${topology.queueUrl}`);
  err(
    `  dead letters    ${topology.deadLetterQueueUrl} (after ${plural(settings.maxReceiveCount, "receive")})`,
  );
  err(
    `  batches of ${settings.batchSize}, window ${settings.maximumBatchingWindowSeconds} s, ` +
      `timeout ${settings.timeoutSeconds} s, visibility ${settings.visibilityTimeoutSeconds} s`,
  );
}

function describe(outcome: Outcome, settings: LocalSettings): string {
  switch (outcome.status) {
    case "stored":
      return `stored  ${printableKey(outcome.key)} -> ${printableKey(outcome.location)} (${plural(Object.keys(outcome.result.metadata).length, "tag")})`;
    case "failed":
      return (
        `FAILED  ${printableKey(outcome.key)}: ${printableKey(outcome.reason)}; receive ${outcome.receiveCount} of ${settings.maxReceiveCount}, ` +
        (outcome.toDeadLetterQueue
          ? "moves to the dead-letter queue at its next receive"
          : `retried after ${settings.visibilityTimeoutSeconds} s`)
      );
    case "no-result":
      return `skipped ${printableKey(outcome.key)}: ${printableKey(outcome.reason)}`;
  }
}

/** A port the proxy could not listen on, said plainly; undefined for any other error. */
function listenProblem(error: unknown, port: number): string | undefined {
  const fix = "pick another port with --port N (0 picks a free one)";
  switch ((error as NodeJS.ErrnoException).code) {
    case "EADDRINUSE":
      return `port ${port} on 127.0.0.1 is already in use (another npm start?): stop that, or ${fix}`;
    case "EACCES":
      return `port ${port} on 127.0.0.1 needs privileges this user lacks: ${fix}`;
    default:
      return undefined;
  }
}

// `npm start` forwards SIGINT and SIGTERM to this process (the script execs
// node, so no shell stands between); a closed terminal sends SIGHUP.
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Calls onOrphaned once when this process's parent is gone (it was killed
 * without passing a signal on, e.g. SIGKILL): the run must not outlive it
 * with the port open and its workers running.
 */
function watchParent(onOrphaned: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, 1000);
  timer.unref();
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
  keyPrefix: string,
  outcomes: Outcomes,
): Promise<number> {
  const { uploadObject } = await import("../local/upload");
  // the first failed attempt settles a file: its retry would come only after
  // the visibility timeout (minutes on the stack's clock)
  const waitMs = (settings.timeoutSeconds + 30) * 1000;
  const results = await Promise.all(
    files.map(async (file): Promise<Outcome> => {
      const key = `${keyPrefix}${path.basename(file)}`;
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
      err(
        `uploaded ${file} (${plural(size, "byte")}) to s3://${settings.uploadBucket}/${printableKey(key)}`,
      );
      return withTimeout<Outcome>(outcome, waitMs, {
        key,
        status: "no-result",
        reason: `no outcome within ${waitMs / 1000} s`,
      });
    }),
  );
  out(
    `${JSON.stringify(
      results.filter((o) => o.status === "stored").map((o) => o.result),
      null,
      2,
    )}\n`,
  );
  const failures = results.filter((o) => o.status !== "stored");
  for (const failure of failures) err(describe(failure, settings));
  if (failures.length > 0)
    err(
      `${failures.length} of ${files.length} failed: ${failures.map((f) => printableKey(f.key)).join(", ")}`,
    );
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
    out(`${USAGE}\n`);
    return 0;
  }
  const problems = checkFiles(args.files);
  if (problems.length > 0) {
    for (const problem of problems) err(`npm start: ${problem}`);
    return 2;
  }

  // loaded only now: a typo in the arguments should not wait for the SDKs
  const { loadLocalSettings } = await import("../local/config");
  const { startPipeline } = await import("../local/pipeline");
  const { Outcomes } = await import("../local/outcomes");
  let settings: LocalSettings;
  try {
    settings = loadLocalSettings(args.stack);
  } catch (error) {
    err(`npm start: ${(error as Error).message}`);
    return 2;
  }
  const serving = args.files.length === 0;
  let pipeline: Pipeline;
  try {
    pipeline = await startPipeline({
      settings,
      port: args.port,
      handlerLogLevel: args.verbose ? settings.logLevel : "WARN",
    });
  } catch (error) {
    const problem = listenProblem(error, args.port);
    if (!problem) throw error;
    err(`npm start: ${problem}`);
    return 2;
  }
  const outcomes = new Outcomes({
    s3: pipeline.direct,
    annotationClient: pipeline.s3,
    ...settings,
  });
  pipeline.onBatch(async (report) => {
    for (const outcome of await outcomes.record(report)) {
      if (serving) out(`${describe(outcome, settings)}\n`);
    }
  });

  let stopping = false;
  const stop = (why: string, exit: () => void): void => {
    if (stopping) return;
    stopping = true;
    err(`\n${why}: finishing the batch in flight, then stopping`);
    void pipeline.stop().finally(exit);
  };
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () =>
      stop(signal, () => {
        // dying of the signal itself tells npm and the shell what happened;
        // npm then ends the same way, without its "script failed" banner
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }),
    );
  }
  watchParent(() => stop("the parent process exited", () => process.exit(1)));

  banner(pipeline, settings);
  if (serving) {
    err(`ready: aws --endpoint-url ${pipeline.endpoint} s3 cp FILE s3://${settings.uploadBucket}/`);
    err(
      `  (any credentials do, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${settings.region}); Ctrl-C stops`,
    );
    return new Promise<number>(() => undefined);
  }
  const code = await processFiles(
    pipeline,
    settings,
    args.files,
    args.keyPrefix ?? settings.filterPrefix,
    outcomes,
  );
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
