// Objects the function will not touch, whatever S3 would answer: a bucket
// the stack did not name as an upload bucket (a message may name any
// bucket; only IAM would stop the read on AWS), and its own results (reading
// them would loop forever).

export type RefusalKind = "ForeignBucket" | "ResultsPrefix";

export class RefusedObjectError extends Error {
  override readonly name = "RefusedObjectError";

  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message);
  }
}
