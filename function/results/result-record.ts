// What is stored per object, and where. A record names what it describes
// (bucket, key, version, ETag, size) and how it was made (ExifTool version
// and options), so that it can be judged current or stale without reading
// the object.
import type { ExtractionLimits } from "../environment";
import { ExifToolJson } from "../exiftool/exiftool-json";
import type { ObjectInfo } from "../ranges/byte-source";

/**
 * `archived`: S3 would not serve the bytes (GLACIER, DEEP_ARCHIVE); `failed`:
 * the extraction failed in a way a retry would repeat (see `failure`). Both
 * have empty `metadata`.
 */
export type ResultStatus = "extracted" | "archived" | "failed";

/** Why a `failed` result has no metadata, and what would change it. */
export interface FailureRecord {
  /** The FailureType: MemoryExceeded, OutputTooLarge or Timeout. */
  type: string;
  message: string;
  /** The settings it failed under; backfill --stale tries again once the stack's differ. */
  limits: ExtractionLimits;
}

export interface ResultRecord {
  bucket: string;
  key: string;
  /** The version actually read (S3's answer, not the notification's). */
  versionId?: string;
  eTag?: string;
  size: number;
  lastModified: string;
  /** The S3 event's sequencer, when the event described the version read: orders versions within one second. */
  sequencer?: string;
  status: ResultStatus;
  /** Set when `archived`, and whenever S3 named one. */
  storageClass?: string;
  extractedAt: string;
  exiftoolVersion: string;
  /** The allow-listed options the extraction ran with, as configured. */
  exiftoolOptions: string[];
  /** Set when `failed`. */
  failure?: FailureRecord;
  /** As exiftool -json printed it, byte for byte; serialise with stringifyWithExifToolJson. */
  metadata: ExifToolJson;
}

// shortened when S3's key limit requires it; see result-key.ts
export { resultKey } from "./result-key";

/** Which ExifTool, with which options, made a result. */
export interface ExiftoolRun {
  version: string;
  options: readonly string[];
}

export function buildResult(
  source: { bucket: string; key: string },
  object: ObjectInfo & { storageClass?: string; sequencer?: string },
  exiftool: ExiftoolRun,
  metadata: ExifToolJson,
  now = new Date(),
  status: ResultStatus = "extracted",
): ResultRecord {
  return {
    bucket: source.bucket,
    key: source.key,
    versionId: object.versionId,
    // unquoted, as S3 notifications carry it
    eTag: object.eTag?.replace(/"/g, ""),
    size: object.size,
    lastModified: object.lastModified.toISOString(),
    sequencer: object.sequencer,
    status,
    storageClass: object.storageClass,
    extractedAt: now.toISOString(),
    exiftoolVersion: exiftool.version,
    exiftoolOptions: [...exiftool.options],
    metadata,
  };
}

/** An archived object's result has no metadata: S3 would not serve its bytes. */
export const NO_METADATA = new ExifToolJson("{}");

/** The result of an object whose extraction fails the same way every time: no metadata, and why. */
export function failedResult(
  source: { bucket: string; key: string },
  object: ObjectInfo & { storageClass?: string },
  exiftool: ExiftoolRun,
  failure: FailureRecord,
  now = new Date(),
): ResultRecord {
  const { metadata, ...record } = buildResult(source, object, exiftool, NO_METADATA, now, "failed");
  return { ...record, failure, metadata };
}
