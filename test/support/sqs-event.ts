// Real SQS event shapes around message bodies, as Lambda's event source
// mapping delivers them, and a Lambda-like context.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import {
  lambdaContext as localLambdaContext,
  sqsRecord as localSqsRecord,
} from "../../local/event-source-mapping";

let counter = 0;
const QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:s3-exiftool-queue";

/** The record Lambda's event source mapping makes of one SQS message with this body. */
export function sqsRecord(body: string, messageId = `msg-${++counter}`): SQSRecord {
  const now = String(Date.now());
  const message = {
    MessageId: messageId,
    ReceiptHandle: `receipt-${messageId}`,
    Body: body,
    Attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: now,
      ApproximateFirstReceiveTimestamp: now,
    },
  };
  return localSqsRecord(message, QUEUE_ARN, "us-east-1");
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function lambdaContext(timeoutMs = 60_000): Context {
  const options = {
    functionName: "s3-exiftool-test",
    region: "us-east-1",
    timeoutSeconds: timeoutMs / 1000,
  };
  return localLambdaContext(options, `req-${++counter}`, Date.now() + timeoutMs);
}

const fixtures = join(__dirname, "..", "handler", "fixtures");

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(fixtures, name), "utf8")) as T;
}

/** S3's notification for `records` (bucket, encoded key, size, eTag), from the recorded example. */
export function s3Notification(
  records: { bucket: string; encodedKey: string; size?: number; eTag?: string }[],
): string {
  const template = fixture<{ Records: Record<string, unknown>[] }>("s3-put-notification.json")
    .Records[0];
  return JSON.stringify({
    Records: records.map(({ bucket, encodedKey, size = 1024, eTag }) => {
      const record = structuredClone(template) as {
        s3: { bucket: { name: string; arn: string }; object: Record<string, unknown> };
      };
      record.s3.bucket.name = bucket;
      record.s3.bucket.arn = `arn:aws:s3:::${bucket}`;
      record.s3.object = {
        key: encodedKey,
        size,
        eTag: eTag ?? "d41d8cd98f00b204e9800998ecf8427e",
        sequencer: "0055AED6DCD90281E5",
      };
      return record;
    }),
  });
}
