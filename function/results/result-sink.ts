// The one interface every result goes through, whatever its destination:
// a result object in the results bucket (s3-result-sink.ts), an S3
// annotation on the object itself (annotation-sink.ts), or both.
import type { ResultRecord } from "./result-record";

export interface StoredResult {
  /** Where the record can be read: the result object, or the annotated object itself. */
  bucket: string;
  key: string;
  bytes: number;
  /** Set when an annotation was written: its name and the object version it is on. */
  annotation?: { name: string; bucket: string; key: string; versionId?: string };
}

export interface ResultSink {
  write(result: ResultRecord): Promise<StoredResult>;
}

/** One line for logs and Batch Operations reports: where the record went. */
export function storedLocation(stored: StoredResult): string {
  const object = `s3://${stored.bucket}/${stored.key}`;
  const { annotation } = stored;
  if (!annotation) return object;
  const on = `s3://${annotation.bucket}/${annotation.key}`;
  const named = `annotation ${annotation.name} on ${on}`;
  return object === on ? named : `${object} and ${named}`;
}
