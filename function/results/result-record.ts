// What is stored per object, and where.
import type { ObjectInfo } from "../ranges/byte-source";

export interface ResultRecord {
  bucket: string;
  key: string;
  /** The version actually read (S3's answer, not the notification's). */
  versionId?: string;
  eTag?: string;
  size: number;
  lastModified: string;
  extractedAt: string;
  exiftoolVersion: string;
  metadata: Record<string, unknown>;
}

// shortened when S3's key limit requires it; see result-key.ts
export { resultKey } from "./result-key";

export function buildResult(
  source: { bucket: string; key: string },
  object: ObjectInfo,
  exiftoolVersion: string,
  metadata: Record<string, unknown>,
  now = new Date(),
): ResultRecord {
  return {
    bucket: source.bucket,
    key: source.key,
    versionId: object.versionId,
    // unquoted, as S3 notifications carry it
    eTag: object.eTag?.replace(/"/g, ""),
    size: object.size,
    lastModified: object.lastModified.toISOString(),
    extractedAt: now.toISOString(),
    exiftoolVersion,
    metadata,
  };
}
