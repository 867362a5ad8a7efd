// The extraction engine: one S3 object in, the object `exiftool -json` prints
// for it out, read through range requests by a warm worker from the pool.
import type { S3Client } from "@aws-sdk/client-s3";
import type { ObjectInfo, ReadStats } from "./ranges/byte-source";
import {
  DEFAULT_RANGE_READ_OPTIONS,
  S3RangeSource,
  type RangeReadOptions,
  type S3ObjectRef,
} from "./ranges/s3-range-source";
import { classifyS3Error } from "./ranges/s3-errors";
import type { ExifToolJson } from "./exiftool/exiftool-json";
import { validateExiftoolOptions } from "./exiftool/options";
import {
  OBJECT_PATH,
  WorkerError,
  type ExifToolWorker,
  type ExtractOutput,
} from "./exiftool/exiftool-worker";
import { DeadlineError } from "./outcomes/deadline";
import { WorkerPool } from "./exiftool/worker-pool";

/** Less time than this left when a worker frees up: fail the object, spare the worker. */
const MIN_WORKER_MS = 100;

export interface ExtractorOptions {
  s3: S3Client;
  /** Warm workers, hence extractions that can run at once. */
  workers: number;
  /** Caller's exiftool options; validated here, once. */
  exiftoolOptions?: readonly string[];
  /** Per-object deadline when the caller gives none. */
  defaultTimeoutMs?: number;
  /** Each worker process's memory limit, enforced by the kernel. */
  maxWorkerMemoryBytes?: number;
  /**
   * The limit of a worker that runs an object alone, after it ran out of
   * maxWorkerMemoryBytes: the workers' memory together. No retry without it.
   */
  aloneMemoryBytes?: number;
  range?: Partial<RangeReadOptions>;
  env?: NodeJS.ProcessEnv;
}

/** Where an extraction's time went (milliseconds), for the benchmark's breakdown. */
export interface ExtractionTiming {
  /** From the call until a worker was free. */
  queuedMs: number;
  /** From the worker taking the object until its output was complete. */
  workerMs: number;
  /** The part of workerMs with a request to S3 in flight. */
  s3WaitMs: number;
}

export interface Extraction {
  /** The object `exiftool -json` prints, byte for byte, with SourceFile = s3://BUCKET/KEY. */
  json: ExifToolJson;
  /** The same, parsed: for reading fields, never for writing results. */
  metadata: Record<string, unknown>;
  object: ObjectInfo;
  stats: ReadStats;
  durationMs: number;
  timing: ExtractionTiming;
}

export class Extractor {
  readonly pool: WorkerPool;
  private readonly args: string[];

  constructor(private readonly options: ExtractorOptions) {
    this.args = validateExiftoolOptions(options.exiftoolOptions ?? []);
    this.pool = new WorkerPool({
      size: options.workers,
      env: options.env,
      maxMemoryBytes: options.maxWorkerMemoryBytes,
      readWindowBytes: options.range?.blockSize ?? DEFAULT_RANGE_READ_OPTIONS.blockSize,
    });
  }

  exiftoolVersion(): Promise<string> {
    return this.pool.exiftoolVersion();
  }

  /**
   * Extracts one object. Throws S3ReadError (typed: not found, denied,
   * changed mid-read, throttled, other), WorkerError (crash, its own time
   * budget spent, memory) or DeadlineError (`deadlineAt` came first); a file
   * ExifTool cannot parse is not an error: its metadata carries ExifTool's
   * Error tag, as exiftool -json would.
   *
   * `timeoutMs` is the object's own budget. Without `deadlineAt` it counts
   * from the call, waiting for a worker included. With `deadlineAt` (the
   * time, on Date.now()'s clock, by which the caller must have its answer)
   * it counts from the moment a worker takes the object, and the object
   * ends by `deadlineAt` either way: an extraction that the deadline cuts
   * short of its budget, or that never gets a worker, fails with
   * DeadlineError, which says nothing about the object itself.
   */
  async extract(
    ref: S3ObjectRef,
    timeoutMs = this.options.defaultTimeoutMs ?? 60_000,
    deadlineAt?: number,
  ): Promise<Extraction> {
    const started = Date.now();
    const startedAt = performance.now();
    const endBy = deadlineAt ?? started + timeoutMs;
    const abort = new AbortController();
    let deadline = setTimeout(() => abort.abort(), endBy - started);
    const source = new S3RangeSource(this.options.s3, ref, this.options.range, abort.signal);
    const { directory, fileName } = splitKey(ref);
    // the first range (size, ETag, headers) is fetched while waiting for a
    // worker, so network time overlaps other objects' parsing
    source.open().catch(() => undefined);
    const timing: ExtractionTiming = { queuedMs: 0, workerMs: 0, s3WaitMs: 0 };
    let cutByDeadline = false;
    const attempt = async (worker: ExifToolWorker): Promise<ExtractOutput> => {
      const left = endBy - Date.now();
      // not worth starting: the worker would only be killed for it
      if (left < MIN_WORKER_MS) {
        throw new DeadlineError(
          `the deadline came while ${source.uri} waited for a worker: left for a retry`,
        );
      }
      const limitMs = deadlineAt === undefined ? left : Math.min(timeoutMs, left);
      cutByDeadline = deadlineAt !== undefined && limitMs < timeoutMs;
      clearTimeout(deadline);
      deadline = setTimeout(() => abort.abort(), limitMs);
      const leased = performance.now();
      const networkBefore = source.networkMs();
      timing.queuedMs ||= leased - startedAt;
      try {
        return await worker.extract({
          source,
          directory,
          fileName,
          args: this.args,
          timeoutMs: limitMs,
        });
      } catch (error) {
        if (error instanceof WorkerError && error.kind === "Timeout" && cutByDeadline) {
          throw cutShort(source.uri, timeoutMs);
        }
        throw error;
      } finally {
        timing.workerMs += performance.now() - leased;
        timing.s3WaitMs += source.networkMs() - networkBefore;
      }
    };
    try {
      const output = await this.runWithMemoryRetry(attempt);
      if (output.sourceError !== undefined || !output.json) {
        // a read cut off by a deadline is that deadline's failure
        if (abort.signal.aborted) {
          throw cutByDeadline
            ? cutShort(source.uri, timeoutMs)
            : new WorkerError("Timeout", `extraction exceeded its ${timeoutMs} ms time budget`);
        }
        throw classifyS3Error(output.sourceError, source.uri);
      }
      const json = output.json.withSourceFile(OBJECT_PATH, source.uri);
      return {
        json,
        metadata: json.value,
        object: output.info,
        stats: { ...source.stats },
        durationMs: Date.now() - started,
        timing,
      };
    } catch (error) {
      // what a failure record of the object says it describes
      if (error instanceof WorkerError) error.object ??= await source.open().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * One attempt on a pool worker; if ExifTool runs out of the worker's
   * memory, one more on a worker of its own with the memory of them all
   * (aloneMemoryBytes), before MemoryExceeded is final.
   */
  private async runWithMemoryRetry(
    attempt: (worker: ExifToolWorker) => Promise<ExtractOutput>,
  ): Promise<ExtractOutput> {
    const { maxWorkerMemoryBytes: perWorker, aloneMemoryBytes: alone } = this.options;
    try {
      return await this.pool.run(attempt);
    } catch (error) {
      const memory = error instanceof WorkerError && error.kind === "MemoryExceeded";
      if (!memory || !perWorker || !alone || alone <= perWorker) throw error;
    }
    try {
      return await this.pool.runAlone(alone, attempt);
    } catch (error) {
      if (error instanceof WorkerError && error.kind === "MemoryExceeded") {
        throw new WorkerError(
          "MemoryExceeded",
          `ExifTool needs more than ${mib(alone)} MB for this object: it ran out of a worker's ` +
            `${mib(perWorker)} MB and then, alone, of ${mib(alone)} MB (the function's memory ` +
            `less Node's share); a larger memorySize raises both (${error.message})`,
        );
      }
      throw error;
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The caller's deadline, not the object's own budget, ended the extraction. */
function cutShort(uri: string, budgetMs: number): DeadlineError {
  return new DeadlineError(
    `the deadline cut ${uri} off short of its ${budgetMs} ms time budget: left for a retry`,
  );
}

const mib = (bytes: number): number => Math.round(bytes / (1024 * 1024));

/** Directory and FileName as a local path would give them: s3://bucket/dir and the last segment. */
export function splitKey({ bucket, key }: S3ObjectRef): { directory: string; fileName: string } {
  const slash = key.lastIndexOf("/");
  return {
    directory: slash < 0 ? `s3://${bucket}` : `s3://${bucket}/${key.slice(0, slash)}`,
    fileName: key.slice(slash + 1),
  };
}
