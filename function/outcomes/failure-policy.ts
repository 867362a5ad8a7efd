// The one place that decides what a failure means. Every error an object
// can end in (a malformed message, a refused bucket, an S3 read or write
// error, a worker failure, the Lambda deadline) is judged here into one of
// three dispositions, which each event source then answers in its own terms:
//
//   retry        worth another try (SQS: the message fails and returns;
//                Batch Operations: TemporaryFailure)
//   give-up      will fail the same way again (SQS: the message still fails,
//                so it ends in the DLQ after its retries and nothing is
//                silently dropped; Batch Operations: PermanentFailure)
//   acknowledge  nothing to retry and nothing lost, said in a log line and
//                counted (SQS: the message succeeds; Batch Operations:
//                PermanentFailure, so the completion report lists the task
//                with its reason instead of counting it as extracted)
//
// Some acknowledged cases must leave a result that says so (`record`):
// archived objects, and extractions that fail the same way every time
// (deterministic failures). Those are acknowledged only once that result is
// written; if the write fails, the write's failure decides instead. The DLQ
// is kept for what a retry or a redrive can fix.
import { MalformedMessageError } from "../events/object-created";
import { WorkerError } from "../exiftool/exiftool-worker";
import { S3ReadError } from "../ranges/s3-errors";
import { AnnotationRefusedError, AnnotationWriteError } from "../results/annotation-sink";
import { ResultConflictError, SupersededResultError } from "../results/s3-result-sink";
import { DeadlineError } from "./deadline";
import { RefusedObjectError } from "./refusal";

export type Disposition = "retry" | "give-up" | "acknowledge";

export interface Verdict {
  disposition: Disposition;
  /** Short, stable name: the FailureType metric dimension and the log's failureType. */
  failureType: string;
  /** What happened, for the log and the Batch Operations completion report. */
  reason: string;
  /** For acknowledged cases: the count metric that records them, and the log's outcome. */
  metric?: string;
  outcome?: string;
  /** Acknowledged only once a result with this status says what happened. */
  record?: "archived" | "failed";
}

/** What the event source says about earlier tries of the same object. */
export interface Attempt {
  /**
   * SQS's ApproximateReceiveCount of the message (1 the first time);
   * undefined for Batch Operations, which does not say.
   */
  receiveCount?: number;
}

/**
 * Worker failures that a retry repeats, decided per type:
 * - OutputTooLarge: the same bytes and options print the same JSON; final
 *   at once.
 * - MemoryExceeded: ExifTool's memory for a file is a property of the file
 *   and its options, and the kernel's limit is fixed; the extractor has
 *   already given the object one more try alone with the workers' memory
 *   together, so the error it throws is final at once.
 * - Timeout (the object spent its whole time budget on a worker; a
 *   deadline that cut it short is a DeadlineError instead): a CPU shared
 *   with another worker or slow S3 reads may have caused it, so on SQS it
 *   is final on the second receive of the message (ApproximateReceiveCount
 *   of 2 or more) and retried before. Batch Operations gives no count: its
 *   task is final at once, and a new job (backfill) tries it again.
 */
function deterministic(error: WorkerError, attempt: Attempt): boolean {
  if (error.kind === "OutputTooLarge" || error.kind === "MemoryExceeded") return true;
  if (error.kind !== "Timeout") return false;
  return attempt.receiveCount === undefined || attempt.receiveCount >= 2;
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function acknowledge(
  failureType: string,
  outcome: string,
  metric: string,
  reason: string,
  record?: Verdict["record"],
): Verdict {
  return {
    disposition: "acknowledge",
    failureType,
    reason,
    metric,
    outcome,
    ...(record && { record }),
  };
}

export function judge(error: unknown, attempt: Attempt = {}): Verdict {
  const reason = message(error);
  if (error instanceof RefusedObjectError) {
    return error.kind === "ForeignBucket"
      ? acknowledge(error.kind, "foreign-bucket", "ForeignBucketRefused", reason)
      : acknowledge(error.kind, "results-prefix", "ResultsPrefixSkipped", reason);
  }
  if (error instanceof S3ReadError) {
    if (error.kind === "NotFound") {
      // the object was deleted (or replaced by a delete marker) before it was read
      return acknowledge("NotFound", "deleted-before-read", "ObjectsDeletedBeforeRead", reason);
    }
    if (error.kind === "Archived") {
      return acknowledge("Archived", "archived", "ObjectsArchived", reason, "archived");
    }
    return { disposition: error.retryable ? "retry" : "give-up", failureType: error.kind, reason };
  }
  if (error instanceof WorkerError) {
    if (deterministic(error, attempt)) {
      return acknowledge(error.kind, "failure-recorded", "FailuresRecorded", reason, "failed");
    }
    return { disposition: error.retryable ? "retry" : "give-up", failureType: error.kind, reason };
  }
  if (error instanceof DeadlineError) {
    return { disposition: "retry", failureType: "DeadlineError", reason };
  }
  if (error instanceof MalformedMessageError) {
    return { disposition: "give-up", failureType: "MalformedMessage", reason };
  }
  if (error instanceof SupersededResultError) {
    // an older version read late: the newer version's result stays, nothing to retry
    return acknowledge("Superseded", "superseded", "ResultsSuperseded", reason);
  }
  if (error instanceof AnnotationRefusedError) {
    // the record is in the results bucket instead: nothing lost, nothing to retry
    return acknowledge(
      `Annotation${error.code}`,
      "annotation-refused",
      "AnnotationsRefused",
      reason,
    );
  }
  if (error instanceof AnnotationWriteError) {
    if (error.kind === "ObjectGone") {
      return acknowledge("NotFound", "deleted-before-write", "ObjectsDeletedBeforeRead", reason);
    }
    return {
      disposition: error.retryable ? "retry" : "give-up",
      failureType: `Annotation${error.kind}`,
      reason,
    };
  }
  if (error instanceof ResultConflictError) {
    return { disposition: "give-up", failureType: "ResultConflict", reason };
  }
  // anything else (a results write, the EventBridge call, the network) is
  // transient until shown otherwise: the retries bound it, the DLQ keeps it
  return {
    disposition: "retry",
    failureType: error instanceof Error ? error.name : "Unknown",
    reason,
  };
}
