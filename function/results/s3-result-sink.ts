// Stores each result as JSON in the results bucket, at <prefix><key>.json
// (shortened for keys near S3's 1,024-byte limit, see result-key.ts): the
// same place every time, so processing a message twice overwrites. It
// never replaces an object it did not write: every result carries a
// metadata marker, an existing object without it is refused, and the write
// itself is conditional (If-None-Match: * for a new result, If-Match on the
// ETag just checked for an overwrite), so on S3 nothing can slip in between
// the check and the write. Nor does it replace a newer version's result
// with an older version's: each result records the Last-Modified (and the
// event's sequencer) of what it describes, and the sink compares them with
// the result already there (version-order.ts).
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { stringifyWithExifToolJson } from "../exiftool/exiftool-json";
import { resultKey, type ResultRecord } from "./result-record";
import { isOlder, type SourceOrder } from "./version-order";
import type { ResultSink, StoredResult } from "./result-sink";

export type { StoredResult } from "./result-sink";

/** User metadata (x-amz-meta-…) that marks an object as a result of this function. */
export const RESULT_MARKER = "s3-exiftool-result";
/** Its value: the version of the record's format. */
export const RESULT_MARKER_VALUE = "1";
/** User metadata: the Last-Modified, and the event's sequencer, of the version a result describes. */
export const SOURCE_MODIFIED = "s3-exiftool-source-modified";
export const SOURCE_SEQUENCER = "s3-exiftool-source-sequencer";

/** The results location holds an object this function did not write: it stays as it is. */
export class ResultConflictError extends Error {
  override readonly name = "ResultConflictError";
}

/** The result there describes a newer version of the object than the one read: it stays. */
export class SupersededResultError extends Error {
  override readonly name = "SupersededResultError";
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
    const existing = await this.ownedResult(key);
    const order: SourceOrder = { lastModified: result.lastModified, sequencer: result.sequencer };
    if (existing && isOlder(order, existing.order)) {
      throw new SupersededResultError(
        `s3://${this.bucket}/${key} describes a newer version of s3://${result.bucket}/${result.key} ` +
          `(last modified ${existing.order.lastModified}${existing.order.sequencer ? `, sequencer ${existing.order.sequencer}` : ""}) ` +
          `than the one read (${order.lastModified}${order.sequencer ? `, sequencer ${order.sequencer}` : ""}): left as it is`,
      );
    }
    const existingETag = existing?.eTag;
    const body = stringifyWithExifToolJson(result);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: "application/json",
        Metadata: {
          [RESULT_MARKER]: RESULT_MARKER_VALUE,
          [SOURCE_MODIFIED]: order.lastModified,
          ...(order.sequencer === undefined ? {} : { [SOURCE_SEQUENCER]: order.sequencer }),
        },
        ...(existingETag === undefined ? { IfNoneMatch: "*" } : { IfMatch: existingETag }),
      }),
    );
    return { bucket: this.bucket, key, bytes: Buffer.byteLength(body) };
  }

  /** Our own earlier result at `key`: its ETag and what it describes; undefined when there is none. */
  private async ownedResult(
    key: string,
  ): Promise<{ eTag?: string; order: Partial<SourceOrder> } | undefined> {
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
    return {
      eTag: head.ETag,
      order: {
        lastModified: head.Metadata[SOURCE_MODIFIED],
        sequencer: head.Metadata[SOURCE_SEQUENCER],
      },
    };
  }
}
