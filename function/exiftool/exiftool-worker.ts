// One worker: a preloaded Perl parent (worker.pl) that forks a fresh child
// per command, so each object is parsed by an ExifTool no earlier object
// touched. Commands run one at a time: their arguments go down stdin, the
// child's JSON comes back on stdout, and while it runs the child asks for
// the object's description and byte ranges over the side channel (fd 4 in,
// fd 3 out), which this class answers from the job's ByteSource.
//
// Life cycle: starting -> idle <-> busy -> exiting -> exited. Only an idle
// worker takes a command; a job given up on at its deadline keeps the
// worker busy until its child is gone and the parent has said so.
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import type { ObjectInfo } from "../ranges/byte-source";
import { ExifToolJson } from "./exiftool-json";
import { ExtractionJob, MAX_OUTPUT_BYTES, type ExtractJob } from "./extraction-job";
import { exiftoolPath, missingPerlMessage, perlPath, workerScriptPath } from "./locate";
import { MarkedOutput } from "./marked-output";
import {
  FrameReader,
  decodeChildReport,
  decodeResync,
  decodeReadRequest,
  encodeFrame,
  encodeObjectInfo,
  type Frame,
} from "./side-channel";
import { workerEnvironment } from "./worker-environment";

export type { ExtractJob } from "./extraction-job";

/** The path worker.pl recognises as "the object"; it can never name a real file. */
export const OBJECT_PATH = "/dev/null/s3-object";

export type WorkerState = "starting" | "idle" | "busy" | "exiting" | "exited";

export type WorkerFailureKind =
  | "WorkerStartFailed"
  | "WorkerCrashed"
  | "Timeout"
  | "MemoryExceeded"
  | "CommandRejected"
  | "OutputTooLarge";

/**
 * The worker, not the object, failed. Worth a retry, except when exiftool
 * itself rejected the command (the same options would be rejected again) or
 * printed more than Node keeps (the same file would print as much again).
 */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
  readonly retryable: boolean;

  constructor(
    readonly kind: WorkerFailureKind,
    message: string,
  ) {
    super(message);
    this.retryable = kind !== "CommandRejected" && kind !== "OutputTooLarge";
  }
}

export interface ExtractOutput {
  /** The object exiftool -json printed, SourceFile still the pseudo path. */
  json?: ExifToolJson;
  info: ObjectInfo;
  /** Why a read failed, if one did: then `json` describes a truncated file, if present at all. */
  sourceError?: unknown;
  /** The child that ran the command, as the parent reported it: a fresh one per object. */
  childPid?: number;
}

export interface WorkerOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Size of the aligned window worker.pl reads through: best equal to the
   * source's block size, so each window is blocks Node fetches anyway; 0
   * passes ExifTool's own reads through unchanged.
   */
  readWindowBytes?: number;
  /**
   * Address-space limit of the worker's Perl processes, set before Perl
   * starts and enforced by the kernel: a child that passes it fails its
   * allocation and exits, whatever a file declares.
   */
  maxMemoryBytes?: number;
  /** Told once the process has exited, whatever the cause. */
  onExit?: (worker: ExifToolWorker) => void;
}

interface Pending {
  job: ExtractionJob;
  resolve(output: ExtractOutput): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

let nextId = Math.floor(Math.random() * 1e9);

/** Perl and ExifTool load in well under a second; a start that hangs must not hang its callers. */
const START_TIMEOUT_MS = 30_000;
/** After a deadline kill, the parent reports its child's end at once; past this it is wedged. */
const DRAIN_TIMEOUT_MS = 5_000;
/** The most one side-channel read may ask for: worker.pl's MAX_REQUEST. */
const MAX_READ_REQUEST_BYTES = 1 << 20;
/** worker.pl's wait status for a child it could not fork. */
const FORK_FAILED = 0xffffffff;
/** The shell's exit code for a command it cannot find. */
const NOT_FOUND_EXIT = 127;

export class ExifToolWorker {
  readonly pid: number;
  exiftoolVersion = "";
  /** Children forked so far: one per command. */
  commands = 0;
  private currentState: WorkerState = "starting";
  private pending?: Pending;
  private drained?: { promise: Promise<void>; resolve(): void };
  private readonly startup = {
    stdout: new MarkedOutput(Buffer.from("\n{ready0}\n")),
    stderr: new MarkedOutput(Buffer.from("\n{ready0}\n")),
  };
  private stderrTail = "";
  /** Set by start(): called once the parent has said it is ready. */
  private onReady?: () => void;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: WorkerOptions,
  ) {
    this.pid = child.pid ?? -1;
    const replies = child.stdio[3] as Writable;
    const requests = child.stdio[4] as Readable;
    const frames = new FrameReader();
    requests.on("data", (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) this.onFrame(frame, replies);
    });
    // a write after the worker died would otherwise surface as an unhandled EPIPE
    replies.on("error", () => undefined);
    child.stdin!.on("error", () => undefined);
    child.stdout!.on("data", (chunk: Buffer) => this.onOutput("stdout", chunk));
    child.stderr!.on("data", (chunk: Buffer) => this.onOutput("stderr", chunk));
  }

  /** Starts Perl, loads and compiles ExifTool once, and waits until the parent is ready. */
  static start(options: WorkerOptions = {}): Promise<ExifToolWorker> {
    const env = options.env ?? process.env;
    const perl = perlPath(env);
    const [command, args] = launchCommand(
      perl,
      [workerScriptPath(), exiftoolPath(env)],
      options.maxMemoryBytes,
    );
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(command, args, {
          stdio: ["pipe", "pipe", "pipe", "pipe", "pipe"],
          env: workerEnvironment(env, options.readWindowBytes),
          // its own process group: a terminal's Ctrl-C reaches Node, which
          // drains, and not the workers in the middle of their objects
          detached: true,
        });
      } catch (error) {
        reject(new WorkerError("WorkerStartFailed", (error as Error).message));
        return;
      }
      const startError = (error: NodeJS.ErrnoException): WorkerError =>
        new WorkerError(
          "WorkerStartFailed",
          error.code === "ENOENT"
            ? missingPerlMessage(perl)
            : `cannot start ${command}: ${error.message}`,
        );
      // no process (ENOENT, EMFILE, EAGAIN): its "error" event says why, and
      // there is nothing to build a worker on, nor to signal
      if (child.pid === undefined || !child.stdio[3] || !child.stdio[4]) {
        child.once("error", (error: NodeJS.ErrnoException) => reject(startError(error)));
        return;
      }
      const worker = new ExifToolWorker(child, options);
      const fail = (message: string): void => {
        clearTimeout(timer);
        worker.kill();
        reject(new WorkerError("WorkerStartFailed", message));
      };
      const timer = setTimeout(
        () =>
          fail(`ExifTool worker did not answer within ${START_TIMEOUT_MS} ms: ${worker.errors()}`),
        START_TIMEOUT_MS,
      );
      child.on("error", (error: NodeJS.ErrnoException) => fail(startError(error).message));
      child.on("exit", (code, signal) => {
        if (worker.currentState === "starting") {
          fail(
            code === NOT_FOUND_EXIT
              ? missingPerlMessage(perl)
              : `ExifTool worker exited during start-up (${signal ?? `code ${code}`}): ${worker.errors()}`,
          );
        }
        worker.onExit(code, signal);
      });
      worker.onReady = (): void => {
        clearTimeout(timer);
        resolve(worker);
      };
    });
  }

  get state(): WorkerState {
    return this.currentState;
  }

  /** Can take commands now or once its current one ends. */
  get alive(): boolean {
    return this.currentState === "idle" || this.currentState === "busy";
  }

  async extract(spec: ExtractJob): Promise<ExtractOutput> {
    // a job given up on at its deadline: its child is being reaped
    if (this.drained && this.currentState === "busy") await this.drained.promise;
    if (!this.alive) throw new WorkerError("WorkerCrashed", `worker has ${this.currentState}`);
    if (this.currentState !== "idle") throw new Error("worker is busy: one extraction at a time");
    const job = new ExtractionJob(++nextId, spec);
    this.currentState = "busy";
    this.commands++;
    return new Promise<ExtractOutput>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.giveUp(
            job,
            new WorkerError("Timeout", `extraction exceeded its ${spec.timeoutMs} ms deadline`),
          ),
        spec.timeoutMs,
      );
      this.pending = { job, resolve, reject, timer };
      this.child.stdin!.write(job.commandLines(OBJECT_PATH));
    });
  }

  /** Ends input, so the parent exits once idle; kills the process group if it will not. */
  async close(graceMs = 2000): Promise<void> {
    if (this.currentState === "exited") return;
    this.currentState = "exiting";
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Kills the parent and any child it has running. */
  kill(): void {
    if (this.currentState === "exited") return;
    if (this.currentState !== "starting") this.currentState = "exiting";
    signalGroup(this.pid);
  }

  /** What the worker wrote to stderr outside of any command, most recent last. */
  private errors(): string {
    return (this.startup.stderr.text() + this.stderrTail).trim().slice(-2000);
  }

  /** Answers the caller with `error` now, kills the child, and waits for the parent to report it. */
  private giveUp(job: ExtractionJob, error: WorkerError): void {
    const pending = this.pending;
    if (!pending || pending.job !== job) return;
    job.abandoned = true;
    let resolveDrained!: () => void;
    this.drained = {
      promise: new Promise((resolve) => (resolveDrained = resolve)),
      resolve: resolveDrained,
    };
    clearTimeout(pending.timer);
    pending.reject(error);
    if (job.childPid) signalProcess(job.childPid);
    else this.kill();
    // a parent that does not report its child's end is wedged: replace it
    pending.timer = setTimeout(() => this.kill(), DRAIN_TIMEOUT_MS);
  }

  /**
   * The parent's reports about its child are taken at once; the child's
   * requests are answered in order, on a queue of their own job, so that a
   * read that never returns holds up nothing but the job it belongs to.
   */
  private onFrame(frame: Frame, replies: Writable): void {
    const job = this.pending?.job;
    if (frame.type === "S") {
      // the child has ended: nothing more for it, then the token that says so
      const { id, token } = decodeResync(frame.payload);
      if (job?.id === id) job.repliesClosed = true;
      replies.write(encodeFrame("S", token));
      return;
    }
    if (frame.type === "P" || frame.type === "X") {
      const report = decodeChildReport(frame.payload);
      if (job?.id !== report.id) return;
      if (frame.type === "P") job.childPid = report.value;
      else job.waitStatus = report.value;
      this.settleIfFinished();
      return;
    }
    // an answer that comes after its child was given up on, or has ended, is dropped
    const reply = (type: string, payload: Buffer): void => {
      if (this.currentState === "exited" || job?.abandoned || job?.repliesClosed) return;
      replies.write(encodeFrame(type, payload));
    };
    // a request from a child whose job was given up on: it is being killed
    if (!job || job.abandoned) return;
    job.readObject = true;
    job.requests = job.requests.then(() => this.answer(job, frame, reply));
  }

  private async answer(
    job: ExtractionJob,
    frame: Frame,
    reply: (type: string, payload: Buffer) => void,
  ): Promise<void> {
    if (frame.type === "O") {
      const info = await job.info.catch(() => undefined);
      const { size = 0, lastModified = new Date(0) } = info ?? {};
      reply(
        "I",
        encodeObjectInfo(
          size,
          lastModified.getTime() / 1000,
          job.spec.directory,
          job.spec.fileName,
        ),
      );
      return;
    }
    if (frame.type === "R" && job.sourceError === undefined) {
      const { offset, length } = decodeReadRequest(frame.payload);
      try {
        // worker.pl splits long reads; a larger request would buffer its whole length here
        if (length > MAX_READ_REQUEST_BYTES) {
          throw new Error(
            `worker asked for ${length} bytes at once, over ${MAX_READ_REQUEST_BYTES}`,
          );
        }
        reply("D", await job.spec.source.read(offset, length));
        return;
      } catch (error) {
        job.sourceError = error;
      }
    }
    reply("E", Buffer.from(String(job.sourceError ?? `unknown request '${frame.type}'`)));
  }

  private onOutput(stream: "stdout" | "stderr", chunk: Buffer): void {
    if (this.currentState === "starting") {
      this.startup[stream].push(chunk);
      if (this.startup.stdout.done && this.startup.stderr.done) {
        this.exiftoolVersion = this.startup.stdout.text().trim();
        this.currentState = "idle";
        this.onReady?.();
      }
      return;
    }
    const job = this.pending?.job;
    if (!job) {
      if (stream === "stderr") this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
      return;
    }
    job[stream].push(chunk);
    if (stream === "stdout" && job.stdout.overflowed && !job.abandoned) {
      this.giveUp(
        job,
        new WorkerError(
          "OutputTooLarge",
          `ExifTool printed more than ${MAX_OUTPUT_BYTES} bytes of JSON for this object`,
        ),
      );
    }
    this.settleIfFinished();
  }

  private settleIfFinished(): void {
    const pending = this.pending;
    // no request can be outstanding: a child exits only after its last
    // reply, or dies, and then an answer still on its way is of no use
    if (pending?.job.finished) void this.settle(pending);
  }

  private async settle(pending: Pending): Promise<void> {
    if (this.pending !== pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (this.currentState === "busy") this.currentState = "idle";
    this.drained?.resolve();
    this.drained = undefined;
    const { job } = pending;
    if (job.abandoned) return;
    const info = (await job.info.catch(() => undefined)) ?? { size: 0, lastModified: new Date(0) };
    const stdout = job.stdout.text();
    const stderr = job.stderr.text().trim();
    let json: ExifToolJson | undefined;
    try {
      json = ExifToolJson.single(stdout);
      if (json.value.SourceFile !== OBJECT_PATH) {
        throw new Error("exiftool's output describes another file than the object");
      }
    } catch (error) {
      if (job.sourceError === undefined) {
        pending.reject(childFailure(job, stdout, stderr, error as Error));
        return;
      }
    }
    pending.resolve({ json, info, sourceError: job.sourceError, childPid: job.childPid });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const wasStarting = this.currentState === "starting";
    this.currentState = "exited";
    const pending = this.pending;
    this.pending = undefined;
    this.drained?.resolve();
    if (pending && !pending.job.abandoned) {
      clearTimeout(pending.timer);
      const stderr = pending.job.stderr.text().trim() || this.stderrTail.trim();
      pending.reject(
        new WorkerError(
          "WorkerCrashed",
          `ExifTool worker exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr}` : ""}`,
        ),
      );
    }
    if (!wasStarting) this.options.onExit?.(this);
  }
}

/** What a child that printed no usable JSON means, from how it ended and what it said. */
function childFailure(
  job: ExtractionJob,
  stdout: string,
  stderr: string,
  parseError: Error,
): WorkerError {
  if (job.waitStatus === FORK_FAILED) {
    return new WorkerError("WorkerCrashed", `the worker could not fork a child: ${stderr}`);
  }
  const signal = job.waitStatus! & 0x7f;
  const code = job.waitStatus! >> 8;
  const said = stderr || stdout.trim().slice(0, 500);
  if (/Out of memory/.test(stderr)) {
    return new WorkerError(
      "MemoryExceeded",
      `ExifTool ran out of its memory limit on this object: ${said}`,
    );
  }
  if (signal) {
    return new WorkerError("WorkerCrashed", `ExifTool was killed by signal ${signal}: ${said}`);
  }
  // exiftool refuses a bad option with a message and exit code 1, before reading the file
  if (code === 1 && !job.readObject && !stdout.trim() && stderr) {
    return new WorkerError("CommandRejected", `exiftool rejected the command: ${stderr}`);
  }
  return new WorkerError(
    "WorkerCrashed",
    `ExifTool exited with code ${code} and no usable JSON (${parseError.message})${said ? `: ${said}` : ""}`,
  );
}

/**
 * The command that starts Perl: directly, or through /bin/sh so that
 * `ulimit -v` sets the address-space limit before Perl starts (Node cannot
 * set a child's rlimits). Nothing from an event is among these arguments.
 */
function launchCommand(perl: string, args: string[], maxMemoryBytes?: number): [string, string[]] {
  if (!maxMemoryBytes || process.platform !== "linux") return [perl, args];
  const kib = String(Math.max(1, Math.floor(maxMemoryBytes / 1024)));
  return ["/bin/sh", ["-c", 'ulimit -v "$1" && shift && exec "$@"', "sh", kib, perl, ...args]];
}

/** Kills a worker's process group (its parent leads it). A pid of 0 or less is never signalled: kill(-1) would reach every process of the user. */
function signalGroup(pid: number): void {
  if (!(pid > 0)) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    signalProcess(pid);
  }
}

function signalProcess(pid: number): void {
  if (!(pid > 0)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
