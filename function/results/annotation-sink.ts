// Writes each result as an S3 annotation on the very object version that was
// read: `VersionId` of the version read (when S3 named one) and
// `x-amz-object-if-match` with the ETag read, so an object replaced in the
// meantime never carries the old object's metadata (S3 answers 412, and a
// retry reads the new object). The payload is the record as the results
// bucket stores it, on one line (annotation-payload.ts); a record over
// 1 MiB goes whole to the results bucket and the annotation points to it.
// S3's refusals come out typed: the ones no retry can change (invalid UTF-8,
// an SSE-C object, 1,000 annotations already) put the record in the results
// bucket instead, so nothing is lost.
import { PutObjectAnnotationCommand, type S3Client } from "@aws-sdk/client-s3";
import { MAX_ANNOTATION_BYTES } from "./annotation-rules";
import { annotationPayload, pointerPayload } from "./annotation-payload";
import type { ResultRecord } from "./result-record";
import type { ResultSink, StoredResult } from "./result-sink";

/** S3 refused the annotation for good; the record is in the results bucket instead (`stored`). */
export class AnnotationRefusedError extends Error {
  override readonly name = "AnnotationRefusedError";

  constructor(
    /** S3's error code: UnsupportedMediaType, AnnotationLimitExceeded, InvalidRequest (SSE-C). */
    readonly code: string,
    message: string,
    readonly stored: StoredResult,
  ) {
    super(message);
  }
}

export type AnnotationWriteKind =
  /** the object or version is gone: nothing left to annotate */
  | "ObjectGone"
  /** the object was replaced after it was read: a retry reads the new one */
  | "ObjectChanged"
  | "AccessDenied"
  | "InvalidAnnotationName"
  | "Other";

export class AnnotationWriteError extends Error {
  override readonly name = "AnnotationWriteError";

  constructor(
    readonly kind: AnnotationWriteKind,
    readonly retryable: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Codes after which the record goes to the results bucket: S3 will refuse it the same way again. */
const REFUSALS = new Set(["UnsupportedMediaType", "AnnotationLimitExceeded", "InvalidRequest"]);
const GONE = new Set(["NoSuchKey", "NoSuchVersion", "NotFound", "MethodNotAllowed"]);

export class AnnotationResultSink implements ResultSink {
  constructor(
    private readonly s3: S3Client,
    private readonly name: string,
    /** The results bucket's writer: for records over 1 MiB, refusals, and `both`. */
    private readonly bucket: ResultSink,
    /** `both`: every record also goes to the results bucket, as today. */
    private readonly alsoInBucket: boolean,
  ) {}

  async write(result: ResultRecord): Promise<StoredResult> {
    let inBucket = this.alsoInBucket ? await this.bucket.write(result) : undefined;
    let payload = annotationPayload(result);
    if (Buffer.byteLength(payload) > MAX_ANNOTATION_BYTES) {
      inBucket ??= await this.bucket.write(result);
      payload = pointerPayload(result, inBucket);
    }
    const annotation = {
      name: this.name,
      bucket: result.bucket,
      key: result.key,
      versionId: result.versionId,
    };
    try {
      await this.s3.send(
        new PutObjectAnnotationCommand({
          Bucket: result.bucket,
          Key: result.key,
          VersionId: result.versionId,
          AnnotationName: this.name,
          AnnotationPayload: payload,
          ObjectIfMatch: result.eTag === undefined ? undefined : `"${result.eTag}"`,
        }),
      );
    } catch (error) {
      throw await this.refused(error, result, inBucket);
    }
    const bytes = Buffer.byteLength(payload);
    return inBucket
      ? { ...inBucket, annotation }
      : { bucket: result.bucket, key: result.key, bytes, annotation };
  }

  private async refused(
    error: unknown,
    result: ResultRecord,
    inBucket: StoredResult | undefined,
  ): Promise<Error> {
    const shape = (typeof error === "object" && error !== null ? error : {}) as SdkError;
    const status = shape.$metadata?.httpStatusCode;
    const code = shape.name ?? "Error";
    const what = `annotation ${this.name} on s3://${result.bucket}/${result.key}${result.versionId ? ` (version ${result.versionId})` : ""}`;
    const detail = `${code}${status ? ` (HTTP ${status})` : ""}: ${shape.message ?? String(error)}`;
    if (REFUSALS.has(code) || status === 415) {
      const stored = inBucket ?? (await this.bucket.write(result));
      return new AnnotationRefusedError(
        code,
        `S3 refused the ${what}, ${detail}; the record is at s3://${stored.bucket}/${stored.key} instead`,
        stored,
      );
    }
    const fail = (kind: AnnotationWriteKind, retryable: boolean, summary: string) =>
      new AnnotationWriteError(kind, retryable, `${summary} ${what}: ${detail}`, { cause: error });
    if (GONE.has(code) || status === 404 || status === 405)
      return fail("ObjectGone", false, "object deleted before its annotation was written:");
    if (code === "PreconditionFailed" || status === 412)
      return fail("ObjectChanged", true, "object replaced after it was read, not annotated:");
    if (code === "AccessDenied" || status === 403) return fail("AccessDenied", false, "denied:");
    if (code === "InvalidAnnotationName" || code === "AnnotationNameTooLong")
      return fail("InvalidAnnotationName", false, "name refused:");
    // throttling, 5xx and the network, once the SDK's own retries are spent
    return fail("Other", status === undefined || status >= 500 || status === 429, "failed:");
  }
}
