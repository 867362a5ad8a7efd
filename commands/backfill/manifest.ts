// The job's manifest in S3 Batch Operations' CSV format
// (S3BatchOperations_CSV_20180820): one `bucket,key` line per object, the key
// URL-encoded as the format requires, written to a local file as the listing
// goes so that millions of keys never sit in memory.
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

export const MANIFEST_FORMAT = "S3BatchOperations_CSV_20180820";
/** No VersionId column: the function reads each object's current version. */
export const MANIFEST_FIELDS = ["Bucket", "Key"] as const;

/**
 * UTF-8 percent-encoding of everything but unreserved characters: commas,
 * quotes and line breaks in keys cannot break the CSV, and "+" stays a plus
 * whether the reader decodes "+" as a space or not.
 */
export function manifestLine(bucket: string, key: string): string {
  return `${bucket},${encodeURIComponent(key)}\n`;
}

export class ManifestFile {
  private readonly stream: WriteStream;
  count = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { encoding: "utf8" });
  }

  async add(bucket: string, key: string): Promise<void> {
    this.count += 1;
    if (!this.stream.write(manifestLine(bucket, key))) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    this.stream.end();
    await once(this.stream, "finish");
  }
}
