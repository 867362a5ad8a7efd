// One long-lived Perl process running exiftool in -stay_open mode (see
// worker.pl). Extractions run one at a time: exiftool's arguments go down
// stdin, its JSON comes back on stdout, and while it runs the worker asks for
// the object's description and byte ranges over the side channel (fd 4 in,
// fd 3 out), which this class answers from the job's ByteSource.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import type { ByteSource, ObjectInfo } from "../ranges/byte-source";
import { exiftoolPath, missingPerlMessage, perlPath, workerScriptPath } from "./locate";
import { MarkedOutput } from "./marked-output";
import {
  FrameReader,
  decodeReadRequest,
  encodeFrame,
  encodeObjectInfo,
  type Frame,
} from "./side-channel";

/** The path worker.pl recognises as "the object"; it can never name a real file. */
export const OBJECT_PATH = "/dev/null/s3-object";

export type WorkerFailureKind =
  "WorkerStartFailed" | "WorkerCrashed" | "Timeout" | "MemoryExceeded";

/** The worker, not the object, failed: always worth a retry on a fresh worker. */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
  readonly retryable = true;

  constructor(
    readonly kind: WorkerFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ExtractJob {
  source: ByteSource;
  /** What ExifTool reports as Directory and FileName (the name also hints the type). */
  directory: string;
  fileName: string;
  /** Validated exiftool options (see options.ts). */
  args: readonly string[];
  timeoutMs: number;
}

export interface ExtractOutput {
  /** The object exiftool -json printed, SourceFile still the pseudo path. */
  metadata: Record<string, unknown>;
  info: ObjectInfo;
  /** Why a read failed, if one did: then `metadata` describes a truncated file. */
  sourceError?: unknown;
}

export interface WorkerOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Size of the aligned window worker.pl reads through: best equal to the
   * source's block size, so each window is blocks Node fetches anyway; 0
   * passes ExifTool's own reads through unchanged.
   */
  readWindowBytes?: number;
  /** Kill the worker when its resident memory passes this many bytes. */
  maxRssBytes?: number;
  /** How often the resident memory is checked during a job. */
  rssCheckMs?: number;
}

interface Running {
  id: number;
  job: ExtractJob;
  info: Promise<ObjectInfo>;
  sourceError?: unknown;
  stdout: MarkedOutput;
  stderr: MarkedOutput;
  resolve(output: ExtractOutput): void;
  reject(error: Error): void;
}

let nextId = Math.floor(Math.random() * 1e6);

/** Perl and ExifTool load in well under a second; a start that hangs must not hang its callers. */
const START_TIMEOUT_MS = 30_000;

export class ExifToolWorker {
  readonly pid: number;
  private running?: Running;
  private sideQueue: Promise<void> = Promise.resolve();
  private exited = false;
  /** Set the moment a kill is sent: the exit event comes later, and the pool must not reuse us meanwhile. */
  private killed = false;
  private exitReason = "";
  private stderrTail = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly exiftoolVersion: string,
    private readonly options: WorkerOptions,
  ) {
    this.pid = child.pid ?? -1;
    const replies = child.stdio[3] as Writable;
    const requests = child.stdio[4] as Readable;
    const frames = new FrameReader();
    requests.on("data", (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        this.sideQueue = this.sideQueue.then(() => this.answer(frame, replies));
      }
    });
    // a write after the worker died would otherwise surface as an unhandled EPIPE
    replies.on("error", () => undefined);
    child.stdin!.on("error", () => undefined);
    child.stdout!.on("data", (chunk: Buffer) => this.onOutput("stdout", chunk));
    child.stderr!.on("data", (chunk: Buffer) => this.onOutput("stderr", chunk));
    child.on("exit", (code, signal) => this.onExit(code, signal));
  }

  /** Starts Perl, loads ExifTool once, and waits until it answers `-ver`. */
  static start(options: WorkerOptions = {}): Promise<ExifToolWorker> {
    const env = options.env ?? process.env;
    const perl = perlPath(env);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(perl, [workerScriptPath(), exiftoolPath(env)], {
          stdio: ["pipe", "pipe", "pipe", "pipe", "pipe"],
          env: workerEnvironment(env, options.readWindowBytes),
        });
      } catch (error) {
        reject(new WorkerError("WorkerStartFailed", (error as Error).message));
        return;
      }
      let out = "";
      let err = "";
      const fail = (message: string): void => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new WorkerError("WorkerStartFailed", message));
      };
      const timer = setTimeout(
        () => fail(`ExifTool worker did not answer within ${START_TIMEOUT_MS} ms: ${err.trim()}`),
        START_TIMEOUT_MS,
      );
      child.on("error", (error: NodeJS.ErrnoException) =>
        fail(
          error.code === "ENOENT"
            ? missingPerlMessage(perl)
            : `cannot start ${perl}: ${error.message}`,
        ),
      );
      child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        const match = /^([\d.]+)\n\{ready0\}\n/.exec(out);
        if (!match) return;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.removeAllListeners("exit");
        resolve(new ExifToolWorker(child, match[1], options));
      };
      child.stdout!.on("data", onData);
      child.on("exit", (code, signal) =>
        fail(`ExifTool worker exited during start-up (${signal ?? `code ${code}`}): ${err.trim()}`),
      );
      child.stdin!.on("error", () => undefined);
      child.stdin!.write("-ver\n-execute0\n");
    });
  }

  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  extract(job: ExtractJob): Promise<ExtractOutput> {
    if (!this.alive) return Promise.reject(new WorkerError("WorkerCrashed", "worker has exited"));
    if (this.running) return Promise.reject(new Error("worker is busy: one extraction at a time"));
    const id = ++nextId;
    return new Promise<ExtractOutput>((resolve, reject) => {
      const running: Running = {
        id,
        job,
        info: job.source.open(),
        stdout: new MarkedOutput(Buffer.from(`{ready${id}}\n`)),
        stderr: new MarkedOutput(Buffer.from(`{ready${id}}\n`)),
        resolve,
        reject,
      };
      // an open failure is reported through the side channel, not as a rejection here
      running.info.catch((error: unknown) => (running.sourceError ??= error));
      this.running = running;
      const timer = setTimeout(
        () =>
          this.fail(
            new WorkerError("Timeout", `extraction exceeded its ${job.timeoutMs} ms deadline`),
          ),
        job.timeoutMs,
      );
      const memory = this.watchMemory();
      const settle = (): void => {
        clearTimeout(timer);
        if (memory) clearInterval(memory);
      };
      running.resolve = (output) => (settle(), resolve(output));
      running.reject = (error) => (settle(), reject(error));
      const lines = ["-json", ...job.args, OBJECT_PATH, "-echo4", `{ready${id}}`, `-execute${id}`];
      this.child.stdin!.write(lines.join("\n") + "\n");
    });
  }

  /** Ends -stay_open mode and waits for Perl to exit; kills it if it will not. */
  async close(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin!.end("-stay_open\nFalse\n");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.killed = true;
    if (!this.exited) this.child.kill("SIGKILL");
  }

  private watchMemory(): NodeJS.Timeout | undefined {
    const { maxRssBytes, rssCheckMs = 100 } = this.options;
    if (!maxRssBytes || process.platform !== "linux") return undefined;
    return setInterval(() => {
      const rss = residentBytes(this.pid);
      if (rss !== undefined && rss > maxRssBytes) {
        this.fail(
          new WorkerError(
            "MemoryExceeded",
            `worker memory ${rss} bytes passed its cap of ${maxRssBytes} bytes`,
          ),
        );
      }
    }, rssCheckMs);
  }

  /** Kills the worker and fails the running job with `error`. */
  private fail(error: WorkerError): void {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    this.exitReason = error.message;
    this.kill();
    running.reject(error);
  }

  private async answer(frame: Frame, replies: Writable): Promise<void> {
    const running = this.running;
    const reply = (type: string, payload: Buffer): void => {
      if (!this.exited) replies.write(encodeFrame(type, payload));
    };
    if (!running) {
      // a request from a job that was already given up on: the worker is being killed
      reply("E", Buffer.from("no extraction is running"));
      return;
    }
    if (frame.type === "O") {
      const info = await running.info.catch(() => undefined);
      const { size = 0, lastModified = new Date(0) } = info ?? {};
      reply(
        "I",
        encodeObjectInfo(
          size,
          lastModified.getTime() / 1000,
          running.job.directory,
          running.job.fileName,
        ),
      );
      return;
    }
    if (frame.type === "R" && running.sourceError === undefined) {
      const { offset, length } = decodeReadRequest(frame.payload);
      try {
        reply("D", await running.job.source.read(offset, length));
        return;
      } catch (error) {
        running.sourceError = error;
      }
    }
    reply("E", Buffer.from(String(running.sourceError ?? `unknown request '${frame.type}'`)));
  }

  private onOutput(stream: "stdout" | "stderr", chunk: Buffer): void {
    const running = this.running;
    if (!running) {
      if (stream === "stderr") this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
      return;
    }
    running[stream].push(chunk);
    if (running.stdout.done && running.stderr.done) void this.finish(running);
  }

  private async finish(running: Running): Promise<void> {
    // the side channel may still be answering the last request
    await this.sideQueue;
    if (this.running !== running) return;
    this.running = undefined;
    const stdout = running.stdout.text();
    const stderr = running.stderr.text();
    const info = await running.info.catch(() => undefined);
    let metadata: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(stdout) as Record<string, unknown>[];
      metadata = parsed[0] ?? {};
      // whatever the options, the output must be this object's, and only this object's
      if (parsed.length !== 1 || metadata.SourceFile !== OBJECT_PATH) {
        running.reject(
          new Error(
            `exiftool's output describes ${parsed.length} files, not just the object: refused (check the ExifTool options)`,
          ),
        );
        return;
      }
    } catch {
      if (running.sourceError === undefined) {
        running.reject(
          new WorkerError(
            "WorkerCrashed",
            `exiftool printed no JSON: ${(stderr || stdout).trim()}`,
          ),
        );
        return;
      }
    }
    running.resolve({
      metadata,
      info: info ?? { size: 0, lastModified: new Date(0) },
      sourceError: running.sourceError,
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    const running = this.running;
    this.running = undefined;
    if (running) {
      const why = this.exitReason || `exited (${signal ?? `code ${code}`})`;
      const stderr = running.stderr.text().trim() || this.stderrTail.trim();
      running.reject(
        new WorkerError("WorkerCrashed", `ExifTool worker ${why}${stderr ? `: ${stderr}` : ""}`),
      );
    }
  }
}

/**
 * The worker parses untrusted files, so it gets only what Perl needs: no
 * AWS credentials (Lambda puts them in the environment), no HOME (no stray
 * ~/.ExifTool_config). TZ stays, as ExifTool formats dates in local time.
 */
export function workerEnvironment(
  env: NodeJS.ProcessEnv,
  readWindowBytes?: number,
): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of [
    "PATH",
    "LD_LIBRARY_PATH",
    "TZ",
    "LANG",
    "LC_ALL",
    "PERL5LIB",
    "S3_EXIFTOOL_READ_CHUNK",
  ]) {
    if (env[name] !== undefined) kept[name] = env[name];
  }
  if (readWindowBytes !== undefined) kept.S3_EXIFTOOL_READ_CHUNK = String(readWindowBytes);
  return kept;
}

/** Resident set size from /proc (Linux, as on Lambda). */
function residentBytes(pid: number): number | undefined {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return pages * 4096;
  } catch {
    return undefined;
  }
}
