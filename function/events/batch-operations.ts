// The S3 Batch Operations `LambdaInvoke` event, and the answer it expects.
// Schema 1.0 names the bucket by ARN (s3BucketArn), schema 2.0 by name
// (s3Bucket) and adds the job's userArguments. AWS documents the task's
// s3Key as URL-encoded ("keys from S3 Batch Operations are URL encoded", S3
// User Guide, "Invoke AWS Lambda function") and shows no schema that differs:
// the decoded reading is tried first and the key as sent is kept in reserve,
// as for EventBridge, so a key that was sent raw is still found.
import { decodeS3Key, MalformedMessageError, type ObjectCreated } from "./object-created";

export type BatchResultCode = "Succeeded" | "TemporaryFailure" | "PermanentFailure";

export interface BatchOperationsTask {
  taskId: string;
  s3Key: string;
  s3VersionId?: string | null;
  /** Schema 1.0 */
  s3BucketArn?: string;
  /** Schema 2.0 */
  s3Bucket?: string;
}

export interface BatchOperationsEvent {
  invocationSchemaVersion: string;
  invocationId: string;
  job: { id: string; userArguments?: Record<string, string> | null };
  tasks: BatchOperationsTask[];
}

export interface BatchOperationsTaskResult {
  taskId: string;
  resultCode: BatchResultCode;
  resultString: string;
}

export interface BatchOperationsResponse {
  invocationSchemaVersion: string;
  treatMissingKeysAs: BatchResultCode;
  invocationId: string;
  results: BatchOperationsTaskResult[];
}

export const SCHEMA_VERSIONS = ["1.0", "2.0"];

/** Kept short, in code points: it is a cell of the job's CSV completion report. */
const MAX_RESULT_STRING = 512;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Tells a Batch Operations invocation from an SQS batch; checkInvocation says what is missing. */
export function isBatchOperationsEvent(event: unknown): event is BatchOperationsEvent {
  return isObject(event) && "invocationSchemaVersion" in event;
}

/** Checks what the answer needs; a task's own faults are reported per task (parseTask). */
export function checkInvocation(event: BatchOperationsEvent): void {
  if (!SCHEMA_VERSIONS.includes(event.invocationSchemaVersion)) {
    throw new MalformedMessageError(
      `S3 Batch Operations invocationSchemaVersion ${JSON.stringify(event.invocationSchemaVersion)} is not one of ${SCHEMA_VERSIONS.join(", ")}`,
    );
  }
  if (typeof event.invocationId !== "string" || event.invocationId === "") {
    throw new MalformedMessageError("S3 Batch Operations event has no invocationId");
  }
  if (!Array.isArray(event.tasks) || event.tasks.some((task) => !isObject(task))) {
    throw new MalformedMessageError("S3 Batch Operations tasks is not an array of objects");
  }
  // a task without an id cannot be answered, and the job would take the
  // answer of another for it
  const unnamed = event.tasks.findIndex(
    (task) => typeof task.taskId !== "string" || task.taskId === "",
  );
  if (unnamed >= 0) {
    throw new MalformedMessageError(
      `S3 Batch Operations tasks[${unnamed}].taskId is not a non-empty string`,
    );
  }
}

function bucketOf(task: BatchOperationsTask, schema: string): string {
  if (schema === "1.0") {
    const arn = task.s3BucketArn;
    // arn:aws:s3:::bucket (the User Guide's example also shows a region and account)
    const match = typeof arn === "string" ? /^arn:[^:]+:s3:[^:]*:[^:]*:([^/]+)$/.exec(arn) : null;
    if (!match) {
      throw new MalformedMessageError(`s3BucketArn ${JSON.stringify(arn)} is not an S3 bucket ARN`);
    }
    return match[1];
  }
  if (typeof task.s3Bucket !== "string" || task.s3Bucket === "") {
    throw new MalformedMessageError("missing s3Bucket");
  }
  return task.s3Bucket;
}

/** The object a task is about; throws MalformedMessageError saying what is wrong. */
export function parseTask(task: BatchOperationsTask, schema: string): ObjectCreated {
  if (typeof task.s3Key !== "string" || task.s3Key === "") {
    throw new MalformedMessageError("missing s3Key");
  }
  const version = task.s3VersionId;
  if (version !== undefined && version !== null && typeof version !== "string") {
    throw new MalformedMessageError("s3VersionId is not a string");
  }
  let decoded: string | undefined;
  try {
    decoded = decodeS3Key(task.s3Key);
  } catch {
    decoded = undefined;
  }
  return {
    bucket: bucketOf(task, schema),
    key: decoded ?? task.s3Key,
    alternateKey: decoded !== undefined && decoded !== task.s3Key ? task.s3Key : undefined,
    versionId: version ?? undefined,
    readVersionId: version ?? undefined,
    eventName: `BatchOperations:${schema}`,
  };
}

export function taskResult(
  taskId: string,
  resultCode: BatchResultCode,
  resultString: string,
  /** Kept whole at the end however long resultString is (where the result is). */
  tail = "",
): BatchOperationsTaskResult {
  const room = MAX_RESULT_STRING - Array.from(tail).length;
  const characters = Array.from(resultString);
  // cut between code points: a key's emoji must not end the cell as half a surrogate pair
  const short =
    characters.length > room ? `${characters.slice(0, room - 1).join("")}…` : resultString;
  return { taskId, resultCode, resultString: short + tail };
}

export function batchResponse(
  event: BatchOperationsEvent,
  results: BatchOperationsTaskResult[],
): BatchOperationsResponse {
  return {
    invocationSchemaVersion: event.invocationSchemaVersion,
    // every task gets an answer; one that did not was never judged, so worth a retry
    treatMissingKeysAs: "TemporaryFailure",
    invocationId: event.invocationId,
    results,
  };
}
