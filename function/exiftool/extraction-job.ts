// One command sent to a worker, from the line that starts it to the end
// markers the worker's parent writes once the child that ran it has exited.
import type { ByteSource, ObjectInfo } from "../ranges/byte-source";
import { MarkedOutput } from "./marked-output";

export interface ExtractJob {
  source: ByteSource;
  /** What ExifTool reports as Directory and FileName (the name also hints the type). */
  directory: string;
  fileName: string;
  /** Validated exiftool options (see options.ts). */
  args: readonly string[];
  timeoutMs: number;
}

/**
 * The most of one object's JSON Node keeps. Parsing and storing it takes a
 * few copies, with one job per worker at once, inside Node's memory share;
 * a file that makes ExifTool print more (a zTXt that inflates to megabytes
 * of text, say) fails as OutputTooLarge instead.
 */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Warnings and errors: the start says what went wrong. */
const MAX_STDERR_BYTES = 64 * 1024;

export class ExtractionJob {
  readonly stdout: MarkedOutput;
  readonly stderr: MarkedOutput;
  readonly info: Promise<ObjectInfo>;
  /** The child that runs this command: the one to kill at the deadline. */
  childPid?: number;
  /** The child's wait status (as waitpid gives it), once it has exited. */
  waitStatus?: number;
  /** Why a read failed, if one did: then the output describes a truncated file. */
  sourceError?: unknown;
  /** The child's side-channel requests, answered in order. */
  requests: Promise<void> = Promise.resolve();
  /** The child has ended (the parent asked to resynchronise): no more replies for it. */
  repliesClosed = false;
  /** The child read the object (asked for its description or bytes): exiftool took the command. */
  readObject = false;
  /** Given up on (deadline, too much output): its caller has its answer, the worker only waits for its end. */
  abandoned = false;

  constructor(
    readonly id: number,
    readonly spec: ExtractJob,
  ) {
    const marker = Buffer.from(`\n{ready${id}}\n`);
    this.stdout = new MarkedOutput(marker, MAX_OUTPUT_BYTES);
    this.stderr = new MarkedOutput(marker, MAX_STDERR_BYTES);
    this.info = spec.source.open();
    // an open failure is reported through the side channel, not as a rejection here
    this.info.catch((error: unknown) => (this.sourceError ??= error));
  }

  /** The lines that run it: -json, the options, the object, then the end of the command. */
  commandLines(objectPath: string): string {
    return ["-json", ...this.spec.args, objectPath, `-execute${this.id}`].join("\n") + "\n";
  }

  /** Both outputs have their end marker and the child's exit status is in. */
  get finished(): boolean {
    return this.stdout.done && this.stderr.done && this.waitStatus !== undefined;
  }
}
