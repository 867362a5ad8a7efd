// An existing upload bucket: looked up and checked before anything is
// planned on it. The stack puts its notification configuration, which S3
// accepts only from the bucket's owner and only towards a queue in the
// bucket's own region; anything else passes preview and fails at `up` with
// "Unable to validate the following destination configurations".
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./config";

export interface UploadBucketFacts {
  bucket: string;
  bucketRegion: string;
  stackRegion: string;
  /** The buckets of the stack's account whose names start with `bucket`. */
  ownedBuckets: string[];
}

/** Refuses a bucket that S3 would not let this stack notify from. */
export function checkUploadBucket(facts: UploadBucketFacts): void {
  const { bucket, bucketRegion, stackRegion } = facts;
  if (!facts.ownedBuckets.includes(bucket)) {
    throw new ConfigError(
      "uploadBucketName",
      `bucket "${bucket}" belongs to another AWS account: only its owner can set its notifications; ` +
        "deploy this stack in that account",
    );
  }
  if (bucketRegion !== stackRegion) {
    throw new ConfigError(
      "uploadBucketName",
      `bucket "${bucket}" is in ${bucketRegion} but the stack deploys to ${stackRegion}: ` +
        `S3 notifies queues of its own region only; set aws:region to ${bucketRegion}`,
    );
  }
}

export interface UploadBucketRef {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
  /**
   * Whether the bucket sends its events to EventBridge now. The stack's
   * notification configuration replaces the bucket's whole configuration,
   * this flag included, so it is carried over rather than switched off.
   */
  eventBridge: pulumi.Output<boolean>;
}

export function existingUploadBucket(
  bucket: string,
  opts: pulumi.InvokeOutputOptions,
): UploadBucketRef {
  const found = aws.s3.getBucketOutput({ bucket }, opts);
  // ListBuckets answers with the caller's own buckets only.
  const owned = aws.s3.getBucketsOutput({ prefix: bucket }, opts);
  const checked = pulumi.all([found, owned]).apply(([bucketFacts, ownedFacts]) => {
    checkUploadBucket({
      bucket,
      bucketRegion: bucketFacts.bucketRegion,
      stackRegion: bucketFacts.region,
      ownedBuckets: ownedFacts.buckets.map((owned) => owned.name),
    });
    return bucketFacts;
  });
  // Read only once the checks passed: another account's or region's bucket
  // would fail this call with a less helpful message.
  const eventBridge = checked.apply(
    ({ bucket: name }) => aws.s3.getBucketNotificationOutput({ bucket: name }, opts).eventbridge,
  );
  return { name: checked.bucket, arn: checked.arn, eventBridge };
}
