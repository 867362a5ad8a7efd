// Real SQS event shapes around message bodies, as Lambda's event source
// mapping delivers them, and a Lambda-like context.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";

let counter = 0;

export function sqsRecord(body: string, messageId = `msg-${++counter}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(Date.now()),
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:s3-exiftool-queue",
    awsRegion: "us-east-1",
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function lambdaContext(timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "s3-exiftool-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:s3-exiftool-test",
    memoryLimitInMB: "1024",
    awsRequestId: `req-${++counter}`,
    logGroupName: "/aws/lambda/s3-exiftool-test",
    logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
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
