// S3 failures sorted by what a caller should do about them: retry later
// (throttled, server-side trouble, network), or give up (not found, denied,
// archived, object replaced while being read).

export type S3ErrorKind =
  "NotFound" | "AccessDenied" | "Archived" | "PreconditionFailed" | "Throttled" | "Other";

export class S3ReadError extends Error {
  override readonly name = "S3ReadError";
  /** For `Archived`: the storage class S3 named in its InvalidObjectState answer. */
  readonly storageClass?: string;

  constructor(
    readonly kind: S3ErrorKind,
    readonly retryable: boolean,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown; storageClass?: string },
  ) {
    super(message, options);
    this.storageClass = options?.storageClass;
  }
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  StorageClass?: string;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
]);
const NOT_FOUND_NAMES = new Set(["NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchVersion"]);

/** Maps an AWS SDK (or network) error into an S3ReadError naming the object. */
export function classifyS3Error(error: unknown, what: string): S3ReadError {
  if (error instanceof S3ReadError) return error;
  const shape = (typeof error === "object" && error !== null ? error : {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const name = shape.name ?? shape.code ?? "Error";
  const detail = `${name}${status ? ` (HTTP ${status})` : ""}: ${shape.message ?? String(error)}`;
  const make = (kind: S3ErrorKind, retryable: boolean, summary: string): S3ReadError =>
    new S3ReadError(kind, retryable, `${summary} ${what}: ${detail}`, status, { cause: error });

  if (NOT_FOUND_NAMES.has(name) || status === 404) return make("NotFound", false, "not found:");
  // a 403 too, so it must be told apart from AccessDenied first
  if (name === "InvalidObjectState") {
    return new S3ReadError(
      "Archived",
      false,
      `archived (${shape.StorageClass ?? "storage class not given"}), restore it to read: ${what}`,
      status,
      { cause: error, storageClass: shape.StorageClass },
    );
  }
  if (name === "AccessDenied" || status === 403)
    return make("AccessDenied", false, "access denied to");
  if (name === "PreconditionFailed" || status === 412) {
    return make("PreconditionFailed", false, "object changed while reading");
  }
  if (THROTTLING_NAMES.has(name) || status === 429 || status === 503) {
    return make("Throttled", true, "throttled reading");
  }
  if (name === "AbortError" || name === "TimeoutError") {
    return make("Other", true, "read aborted (deadline) for");
  }
  // 5xx, connection resets and timeouts are worth another try; other 4xx are not
  const retryable = status === undefined || status >= 500;
  return make("Other", retryable, "failed reading");
}
