// An event key that reads two ways. S3 Batch Operations documents task keys
// as URL-encoded (both invocation schemas), EventBridge sends them as they
// are, and neither is certain: the handler reads one reading and keeps the
// other in reserve (ObjectCreated.alternateKey). When objects exist under
// both readings ("a+b.jpg" and "a b.jpg", "100%25.jpg" and "100%.jpg"),
// the event does not say which it means, and succeeding for one of them
// could describe the other: the object fails, naming both.
import type { S3Client } from "@aws-sdk/client-s3";
import { headObject } from "../ranges/object-head";
import { S3ReadError } from "../ranges/s3-errors";
import type { S3ObjectRef } from "../ranges/s3-range-source";
import { MalformedMessageError } from "./object-created";

export class AmbiguousKeyError extends MalformedMessageError {}

/** Throws AmbiguousKeyError if an object exists under `otherKey` too (`read` was found). */
export async function refuseAmbiguousKey(
  s3: S3Client,
  read: S3ObjectRef,
  otherKey: string,
): Promise<void> {
  try {
    await headObject(s3, { ...read, key: otherKey });
  } catch (error) {
    // absent, or unreadable (S3 answers 403 for a missing key without
    // s3:ListBucket): nothing there this function could have been asked about
    if (
      error instanceof S3ReadError &&
      (error.kind === "NotFound" || error.kind === "AccessDenied")
    )
      return;
    throw error;
  }
  throw new AmbiguousKeyError(
    `the event's key reads as two objects that both exist, s3://${read.bucket}/${read.key} and ` +
      `s3://${read.bucket}/${otherKey} (URL-decoded or as sent): neither is extracted; ` +
      `name the object unambiguously (a Batch Operations manifest lists keys URL-encoded)`,
  );
}
