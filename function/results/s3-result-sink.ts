// Stores each result as JSON in the results bucket, at <prefix><key>.json
// (shortened for keys near S3's 1,024-byte limit, see result-key.ts): the
// same place every time, so processing a message twice overwrites. It
// never replaces an object it did not write: every result carries a
// metadata marker, an existing object without it is refused, and the write
// itself is conditional (If-None-Match: * for a new result, If-Match on the
// ETag just checked for an overwrite), so on S3 nothing can slip in between
// the check and the write.
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { stringifyWithExifToolJson } from "../exiftool/exiftool-json";
import { resultKey, type ResultRecord } from "./result-record";
import type { ResultSink, StoredResult } from "./result-sink";

export type { StoredResult } from "./result-sink";

/** User metadata (x-amz-meta-…) that marks an object as a result of this function. */
export const RESULT_MARKER = "s3-exiftool-result";
/** Its value: the version of the record's format. */
export const RESULT_MARKER_VALUE = "1";

/** The results location holds an object this function did not write: it stays as it is. */
export class ResultConflictError extends Error {
  override readonly name = "ResultConflictError";
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3ResultSink implements ResultSink {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async write(result: ResultRecord): Promise<StoredResult> {
    const key = resultKey(this.prefix, result.key);
    const existingETag = await this.ownedETag(key);
    const body = stringifyWithExifToolJson(result);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: "application/json",
        Metadata: { [RESULT_MARKER]: RESULT_MARKER_VALUE },
        ...(existingETag === undefined ? { IfNoneMatch: "*" } : { IfMatch: existingETag }),
      }),
    );
    return { bucket: this.bucket, key, bytes: Buffer.byteLength(body) };
  }

  /** The ETag of our own earlier result at `key`; undefined when there is none. */
  private async ownedETag(key: string): Promise<string | undefined> {
    let head;
    try {
      head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      const status = (error as SdkError).$metadata?.httpStatusCode;
      // Without s3:ListBucket on the results bucket (the role has none) S3
      // answers 403 for a missing key; the role may read everything under
      // the prefix, so a 403 here means "absent", and If-None-Match makes
      // the write fail rather than overwrite if that was wrong.
      if (status === 404 || status === 403) return undefined;
      throw error;
    }
    if (head.Metadata?.[RESULT_MARKER] === undefined) {
      throw new ResultConflictError(
        `s3://${this.bucket}/${key} exists and was not written by s3-exiftool ` +
          `(no x-amz-meta-${RESULT_MARKER}): refusing to overwrite it`,
      );
    }
    return head.ETag;
  }
}
