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
  /** Given up on (deadline): its caller has its answer, the worker only waits for its end. */
  abandoned = false;

  constructor(
    readonly id: number,
    readonly spec: ExtractJob,
  ) {
    const marker = Buffer.from(`\n{ready${id}}\n`);
    this.stdout = new MarkedOutput(marker);
    this.stderr = new MarkedOutput(marker);
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
