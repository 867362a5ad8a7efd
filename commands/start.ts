// `npm start [-- [--port N] [--stack NAME] [--key-prefix P] [--verbose] FILE...]`:
// the whole pipeline on this machine. With files: upload them, wait for
// their results, print them as one JSON array on stdout and exit 1 naming
// every failure. Without: serve until Ctrl-C, a line per processed object.
// Everything else (endpoint, progress, warnings, the handler's log lines)
// goes to stderr.
import { createReadStream, statSync } from "node:fs";
import { constants } from "node:os";
import * as path from "node:path";
import type { LocalSettings } from "../local/config";
import type { MessageFailure, Outcome, Outcomes } from "../local/outcomes";
import { DEFAULT_PORT } from "../local/default-port";
import type { Pipeline } from "../local/pipeline";
import { printableKey } from "../local/printable";
import {
  integerOption,
  runCommand,
  runFromTerminal,
  userPath,
  type CommandIo,
  type Parsed,
} from "./command";
import { plural } from "./plural";

const USAGE = `usage: npm start -- [--port N] [--stack NAME] [--key-prefix P] [--verbose] [FILE...]
  --port N        listen on 127.0.0.1:N (serving: $PORT or ${DEFAULT_PORT} by default;
                  with FILEs a free port; 0 picks a free port)
  --stack NAME    read settings from Pulumi.NAME.yaml (default: dev)
  --key-prefix P  upload FILEs as P<name> (default: the stack's filterPrefix)
  --verbose       show the handler's own log lines (on stderr) at the stack's logLevel
  FILE...         upload these (relative to where npm was run), print their results as a
                  JSON array, exit 1 if any failed; Ctrl-C prints those done and exits 130`;

const SPEC = {
  name: "npm start",
  usage: USAGE,
  options: {
    port: { type: "string" },
    stack: { type: "string", default: "dev" },
    "key-prefix": { type: "string" },
    verbose: { type: "boolean", default: false },
  },
  positionals: true,
} as const;

type Args = Parsed<typeof SPEC.options>;

/**
 * Serving listens where S3 clients are told to look ($PORT or 4566); file
 * mode needs no fixed port, so it takes a free one and runs beside a
 * serving npm start or LocalStack.
 */
function listenPort(args: Args): number {
  const serving = args.positionals.length === 0;
  const fallback = serving ? process.env.PORT || undefined : "0";
  return integerOption(args.values.port ?? fallback, "port", 0, 65535, DEFAULT_PORT);
}

/** Every FILE must be a readable regular file before anything starts. */
function checkFiles(files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    try {
      if (!statSync(userPath(file)).isFile()) problems.push(`${file}: not a regular file`);
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
const io: CommandIo = { out, err: (text) => process.stderr.write(text) };

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
  for (const line of settings.notLocal) err(`  not run locally: ${line}`);
}

function describe(outcome: Outcome | MessageFailure, settings: LocalSettings): string {
  const retry = (failure: { receiveCount: number; toDeadLetterQueue: boolean }): string =>
    `receive ${failure.receiveCount} of ${settings.maxReceiveCount}, ` +
    (failure.toDeadLetterQueue
      ? "moves to the dead-letter queue at its next receive"
      : `retried after ${settings.visibilityTimeoutSeconds} s`);
  switch (outcome.status) {
    case "stored":
      return `stored  ${printableKey(outcome.key)} -> ${printableKey(outcome.location)} (${plural(Object.keys(outcome.result.metadata).length, "tag")})`;
    case "failed":
      return `FAILED  ${printableKey(outcome.key)}: ${printableKey(outcome.reason)}; ${retry(outcome)}`;
    case "malformed":
      return `FAILED  message ${printableKey(outcome.messageId)}: ${printableKey(outcome.reason)}; ${retry(outcome)}`;
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

/**
 * File mode's answer: each file's outcome as it settles, and the one JSON
 * array of stored results, printed once, whether every file settled or a
 * signal cut the run short.
 */
class FileResults {
  private readonly settled: (Outcome | undefined)[];
  private printed = false;

  constructor(readonly files: string[]) {
    this.settled = files.map(() => undefined);
  }

  settle(index: number, outcome: Outcome): void {
    this.settled[index] = outcome;
  }

  /** Prints the stored results, in the files' order; later calls print nothing. */
  print(): void {
    if (this.printed) return;
    this.printed = true;
    const stored = this.settled.flatMap((o) => (o?.status === "stored" ? [o.result] : []));
    out(`${JSON.stringify(stored, null, 2)}\n`);
  }

  /** The files that did not end stored (failed, skipped, or not yet settled). */
  failures(): string[] {
    return this.settled.flatMap((o, index) =>
      o?.status === "stored" ? [] : [o ? printableKey(o.key) : this.files[index]!],
    );
  }
}

async function processFiles(
  pipeline: Pipeline,
  settings: LocalSettings,
  keyPrefix: string,
  outcomes: Outcomes,
  results: FileResults,
): Promise<number> {
  const { uploadObject } = await import("../local/upload");
  // the first failed attempt settles a file: its retry would come only after
  // the visibility timeout (minutes on the stack's clock)
  const waitMs = (settings.timeoutSeconds + 30) * 1000;
  await Promise.all(
    results.files.map(async (file, index) => {
      const key = `${keyPrefix}${path.basename(file)}`;
      const settled = (outcome: Outcome): void => {
        results.settle(index, outcome);
        err(describe(outcome, settings));
      };
      if (!pipeline.notifications.matches(key)) {
        settled({
          key,
          status: "no-result",
          reason: `the stack's notification filter (prefix "${settings.filterPrefix}", suffix "${settings.filterSuffix}") does not announce it`,
        });
        return;
      }
      const outcome = outcomes.next(key);
      const size = statSync(userPath(file)).size;
      await uploadObject(
        pipeline.s3,
        settings.uploadBucket,
        key,
        createReadStream(userPath(file)),
        progress(file, size),
      );
      err(
        `uploaded ${file} (${plural(size, "byte")}) to s3://${settings.uploadBucket}/${printableKey(key)}`,
      );
      settled(
        await withTimeout<Outcome>(outcome, waitMs, {
          key,
          status: "no-result",
          reason: `no outcome within ${waitMs / 1000} s`,
        }),
      );
    }),
  );
  results.print();
  const failures = results.failures();
  if (failures.length > 0)
    err(`${failures.length} of ${results.files.length} failed: ${failures.join(", ")}`);
  return failures.length > 0 ? 1 : 0;
}

async function main(args: Args): Promise<number> {
  const files = args.positionals;
  const port = listenPort(args);
  const problems = checkFiles(files);
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
    settings = loadLocalSettings(args.values.stack);
  } catch (error) {
    err(`npm start: ${(error as Error).message}`);
    return 2;
  }
  const serving = files.length === 0;
  let pipeline: Pipeline;
  try {
    pipeline = await startPipeline({
      settings,
      port,
      handlerLogLevel: args.values.verbose ? settings.logLevel : "WARN",
    });
  } catch (error) {
    const problem = listenProblem(error, port);
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
  const results = new FileResults(files);

  let stopping = false;
  let exited = false;
  const stop = (why: string, exit: () => void): void => {
    const once = (): void => {
      if (exited) return;
      exited = true;
      exit();
    };
    // a second signal does not wait for the batch in flight (up to an object's deadline)
    if (stopping) {
      err(`\n${why} again: stopping now`);
      once();
      return;
    }
    stopping = true;
    err(`\n${why}: finishing the batch in flight, then stopping (again to stop now)`);
    void pipeline.stop().finally(once);
  };
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () =>
      stop(signal, () => {
        if (!serving) {
          // the results already made are the answer; 128 + the signal's
          // number is how a shell reports a run the signal ended
          results.print();
          process.exit(128 + constants.signals[signal]);
        }
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
      `  (any credentials do, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=${settings.region} AWS_DEFAULT_REGION=${settings.region}); Ctrl-C stops`,
    );
    return new Promise<number>(() => undefined);
  }
  const code = await processFiles(
    pipeline,
    settings,
    args.values["key-prefix"] ?? settings.filterPrefix,
    outcomes,
    results,
  );
  // a signal came first: its handler prints and sets the exit code
  if (stopping) return new Promise<number>(() => undefined);
  await pipeline.stop();
  return code;
}

runFromTerminal((argv) => runCommand(SPEC, argv, io, main));
