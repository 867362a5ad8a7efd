// What each design under test does with one S3 object, measured the same way.
import type { S3ObjectRef } from "../../function/ranges/s3-range-source";

/**
 * Throughput only (see throughput.ts): ceiling, the engine's pool and worker
 * reading local files; warm-unisolated, one `exiftool -stay_open` per worker
 * reading them, without isolation.
 */
export type ContenderName = "engine" | "ceiling" | "warm-unisolated" | "stream" | "download";

export interface ContenderRun {
  metadata: Record<string, unknown>;
  /** Body bytes received from S3. */
  bytesRead: number;
  requests: number;
  wallMs: number;
  /** Peak resident memory of the process that ran ExifTool. */
  peakRssBytes: number;
}

export interface Contender {
  name: ContenderName;
  /** The exiftool options it runs with: the reference runs with the same. */
  options: readonly string[];
  run(ref: S3ObjectRef): Promise<ContenderRun>;
}
