// The work queue between S3 and the function, with its dead-letter queue and
// the policy that lets exactly one bucket of this account send to it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { visibilityTimeoutFor } from "./config";

const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60; // SQS's maximum

export interface WorkQueueArgs {
  /** Function timeout (s): the visibility timeout is derived from it, never set on its own. */
  functionTimeout: number;
  maximumBatchingWindow: number;
  maxReceiveCount: number;
  /** The only bucket allowed to send. */
  sourceBucketArn: pulumi.Input<string>;
  sourceAccountId: pulumi.Input<string>;
}

/** Queue policy: S3 may send, and only on behalf of this bucket in this account. */
export function queuePolicy(
  queueArn: string,
  bucketArn: string,
  accountId: string,
): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowUploadBucketNotifications",
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: {
          ArnEquals: { "aws:SourceArn": bucketArn },
          StringEquals: { "aws:SourceAccount": accountId },
        },
      },
    ],
  };
}

export class WorkQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly policy: aws.sqs.QueuePolicy;

  constructor(name: string, args: WorkQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:WorkQueue", name, {}, opts);
    const child = { parent: this };

    // SSE-SQS rather than a KMS key: S3 cannot send to a queue encrypted with
    // the AWS-managed aws/sqs key, and it needs no key policy.
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { sqsManagedSseEnabled: true, messageRetentionSeconds: DLQ_RETENTION_SECONDS },
      child,
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        sqsManagedSseEnabled: true,
        visibilityTimeoutSeconds: visibilityTimeoutFor({
          timeout: args.functionTimeout,
          maximumBatchingWindow: args.maximumBatchingWindow,
        }),
        redrivePolicy: this.deadLetterQueue.arn.apply((deadLetterTargetArn) =>
          JSON.stringify({ deadLetterTargetArn, maxReceiveCount: args.maxReceiveCount }),
        ),
      },
      child,
    );
    this.policy = new aws.sqs.QueuePolicy(
      name,
      {
        queueUrl: this.queue.url,
        policy: pulumi
          .all([this.queue.arn, args.sourceBucketArn, args.sourceAccountId])
          .apply(([queueArn, bucketArn, accountId]) =>
            JSON.stringify(queuePolicy(queueArn, bucketArn, accountId)),
          ),
      },
      child,
    );
    this.registerOutputs({
      queueUrl: this.queue.url,
      queueArn: this.queue.arn,
      deadLetterQueueUrl: this.deadLetterQueue.url,
      deadLetterQueueArn: this.deadLetterQueue.arn,
    });
  }
}
