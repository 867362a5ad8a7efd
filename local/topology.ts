// The stack's resources, on the emulator: upload and results buckets, and
// the work queue whose redrive policy parks a message in the dead-letter
// queue after maxReceiveCount receives, as infra/queue.ts configures it.
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { LocalSettings } from "./config";

const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** The work queue's tag naming the stack file the pipeline runs (backfill checks it). */
export const STACK_TAG = "s3-exiftool:stack";

export interface Topology {
  uploadBucket: string;
  resultsBucket: string;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
  tags?: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags }),
  );
  if (!url) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${name} has no QueueArn`);
  return { url, arn };
}

/**
 * Creates everything through the given clients; queue URLs name the host
 * the SQS client called, so create through the public endpoint.
 */
export async function createTopology(
  s3: S3Client,
  sqs: SQSClient,
  settings: LocalSettings,
): Promise<Topology> {
  // one bucket when the stack keeps results in the upload bucket
  for (const bucket of new Set([settings.uploadBucket, settings.resultsBucket])) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  const dlq = await createQueue(sqs, settings.deadLetterQueueName, {
    MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
  });
  const queue = await createQueue(
    sqs,
    settings.queueName,
    {
      VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: settings.maxReceiveCount,
      }),
    },
    { [STACK_TAG]: settings.stack },
  );
  return {
    uploadBucket: settings.uploadBucket,
    resultsBucket: settings.resultsBucket,
    queueUrl: queue.url,
    queueArn: queue.arn,
    deadLetterQueueUrl: dlq.url,
    deadLetterQueueArn: dlq.arn,
  };
}
