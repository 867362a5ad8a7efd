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
import { OBJECT_PATH, WorkerError } from "./exiftool/exiftool-worker";
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
   * changed mid-read, throttled, other) or WorkerError (crash, deadline,
   * memory); a file ExifTool cannot parse is not an error: its metadata
   * carries ExifTool's Error tag, as exiftool -json would.
   */
  async extract(
    ref: S3ObjectRef,
    timeoutMs = this.options.defaultTimeoutMs ?? 60_000,
  ): Promise<Extraction> {
    const started = Date.now();
    const startedAt = performance.now();
    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), timeoutMs);
    const source = new S3RangeSource(this.options.s3, ref, this.options.range, abort.signal);
    const { directory, fileName } = splitKey(ref);
    // the first range (size, ETag, headers) is fetched while waiting for a
    // worker, so network time overlaps other objects' parsing
    source.open().catch(() => undefined);
    try {
      const deadlineAt = started + timeoutMs;
      const timing: ExtractionTiming = { queuedMs: 0, workerMs: 0, s3WaitMs: 0 };
      // the deadline counts from the call: time spent waiting for a worker is spent
      const output = await this.pool.run(async (worker) => {
        const left = deadlineAt - Date.now();
        // not worth starting: the worker would only be killed for it
        if (left < MIN_WORKER_MS) {
          throw new WorkerError(
            "Timeout",
            `the ${timeoutMs} ms deadline passed while waiting for a worker`,
          );
        }
        const leased = performance.now();
        const networkBefore = source.networkMs();
        timing.queuedMs = leased - startedAt;
        try {
          return await worker.extract({
            source,
            directory,
            fileName,
            args: this.args,
            timeoutMs: left,
          });
        } finally {
          timing.workerMs = performance.now() - leased;
          timing.s3WaitMs = source.networkMs() - networkBefore;
        }
      });
      if (output.sourceError !== undefined || !output.json) {
        // a read cut off by the object's own deadline is the deadline's failure
        if (abort.signal.aborted) {
          throw new WorkerError("Timeout", `extraction exceeded its ${timeoutMs} ms deadline`);
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
    } finally {
      clearTimeout(deadline);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Directory and FileName as a local path would give them: s3://bucket/dir and the last segment. */
export function splitKey({ bucket, key }: S3ObjectRef): { directory: string; fileName: string } {
  const slash = key.lastIndexOf("/");
  return {
    directory: slash < 0 ? `s3://${bucket}` : `s3://${bucket}/${key.slice(0, slash)}`,
    fileName: key.slice(slash + 1),
  };
}
