// What Lambda's SQS event source mapping does for the deployed function:
// long-poll the queue, gather a batch (size and window from the stack),
// invoke the handler with a real SQS event and a Lambda-like context, delete
// what succeeded and leave the reported failures to reappear after the
// visibility timeout, where the queue's redrive policy finally moves them to
// the dead-letter queue. One batch at a time: the handler keeps per-batch
// state (Powertools' BatchProcessor), as one Lambda instance does.
import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
} from "aws-lambda";
import { LOCAL_ACCOUNT_ID } from "./s3-event";

export type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface EventSourceMappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  handler: Handler;
  functionName: string;
  timeoutSeconds: number;
  memorySize?: number;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  onBatch?: (report: BatchReport) => void | Promise<void>;
  onError?: (error: unknown) => void;
}

export interface BatchReport {
  records: SQSRecord[];
  /** messageIds left on the queue for a retry. */
  failed: Set<string>;
  /** Why the whole batch failed, when it did (handler threw, timed out, bad response). */
  batchError?: string;
  requestId: string;
}

const SQS_MAX_PER_RECEIVE = 10;
const LONG_POLL_SECONDS = 20;
const SYSTEM_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "SentTimestamp",
  "SenderId",
  "ApproximateFirstReceiveTimestamp",
  "AWSTraceHeader",
] as const;

function lambdaAttributes(attributes: Message["Attributes"] = {}): SQSRecord["attributes"] {
  return {
    ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
    SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
    SenderId: attributes.SenderId ?? LOCAL_ACCOUNT_ID,
    ApproximateFirstReceiveTimestamp:
      attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    ...(attributes.AWSTraceHeader ? { AWSTraceHeader: attributes.AWSTraceHeader } : {}),
  };
}

// Lambda renames SQS's message attribute fields to camelCase.
function lambdaMessageAttributes(
  attributes: Record<string, MessageAttributeValue> = {},
): SQSMessageAttributes {
  const converted: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    converted[name] = {
      dataType: value.DataType ?? "String",
      stringValue: value.StringValue,
      binaryValue: value.BinaryValue
        ? Buffer.from(value.BinaryValue).toString("base64")
        : undefined,
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) =>
        Buffer.from(item).toString("base64"),
      ),
    };
  }
  return converted;
}

export function sqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: lambdaAttributes(message.Attributes),
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function lambdaContext(
  options: Pick<
    EventSourceMappingOptions,
    "functionName" | "region" | "timeoutSeconds" | "memorySize"
  >,
  requestId: string,
  deadline: number,
): Context {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
  const unsupported = (): never => {
    throw new Error("callback-style completion is not supported: return a promise");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memorySize ?? 1024),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString("hex")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** The messageIds to keep, as Lambda reads a partial batch response. */
export function readBatchResponse(
  records: SQSRecord[],
  response: unknown,
): { failed: Set<string>; error?: string } {
  const all = new Set(records.map((record) => record.messageId));
  const failures = (response as Partial<SQSBatchResponse> | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return { failed: new Set() };
  const failed = new Set<string>();
  for (const failure of Array.isArray(failures) ? failures : [undefined]) {
    const id = (failure as { itemIdentifier?: unknown } | undefined)?.itemIdentifier;
    // Lambda fails the whole batch when the response names an unknown or empty id
    if (typeof id !== "string" || !all.has(id)) {
      return { failed: all, error: `the response names an unknown message: ${JSON.stringify(id)}` };
    }
    failed.add(id);
  }
  return { failed };
}

class TimeoutError extends Error {}

export class EventSourceMapping {
  private stopping = false;
  private loop?: Promise<void>;
  private receiving?: AbortController;
  /** The last invocation, settled or not: a timed-out one may still be running. */
  private abandoned: Promise<void> = Promise.resolve();

  constructor(private readonly options: EventSourceMappingOptions) {}

  start(): this {
    this.loop ??= this.run();
    return this;
  }

  /** Stops polling; the batch being processed finishes (and is reported) first. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.receiving?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        const messages = await this.gather();
        if (messages.length > 0) await this.invoke(messages);
      } catch (error) {
        if (this.stopping) break;
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const abort = new AbortController();
    this.receiving = abort;
    try {
      const { Messages = [] } = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(max, SQS_MAX_PER_RECEIVE),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: [...SYSTEM_ATTRIBUTES],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: abort.signal },
      );
      return Messages;
    } catch (error) {
      if (this.stopping) return [];
      throw error;
    } finally {
      this.receiving = undefined;
    }
  }

  /** A batch: what the first long poll brings, topped up until the window closes. */
  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.options;
    const batch = await this.receive(batchSize, LONG_POLL_SECONDS);
    if (batch.length === 0 || maximumBatchingWindowSeconds === 0) return batch;
    const closes = Date.now() + maximumBatchingWindowSeconds * 1000;
    while (!this.stopping && batch.length < batchSize) {
      const left = Math.floor((closes - Date.now()) / 1000);
      if (left <= 0) break;
      batch.push(
        ...(await this.receive(batchSize - batch.length, Math.min(left, LONG_POLL_SECONDS))),
      );
    }
    return batch;
  }

  private async invoke(messages: Message[]): Promise<void> {
    const { queueArn, region, timeoutSeconds } = this.options;
    const records = messages.map((message) => sqsRecord(message, queueArn, region));
    const requestId = randomUUID();
    const deadline = Date.now() + timeoutSeconds * 1000;
    const context = lambdaContext(this.options, requestId, deadline);
    let failed: Set<string>;
    let batchError: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Lambda would have reset a timed-out function before its next event; in
    // process the abandoned call runs on and shares the handler's state, so
    // the next batch waits for it to settle (its deadlines end it soon
    // after), though not forever for a handler that never returns
    await Promise.race([this.abandoned, delay(timeoutSeconds * 1000)]);
    try {
      // Lambda ends an invocation at its timeout; in-process the handler
      // runs on, but its batch counts as failed, as on AWS
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError()), timeoutSeconds * 1000);
      });
      const running = this.options.handler({ Records: records }, context);
      this.abandoned = running.then(
        () => undefined,
        () => undefined,
      );
      const response = await Promise.race([running, timedOut]);
      ({ failed, error: batchError } = readBatchResponse(records, response));
    } catch (error) {
      failed = new Set(records.map((record) => record.messageId));
      batchError =
        error instanceof TimeoutError
          ? `timed out after ${timeoutSeconds} s`
          : `the handler threw: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      clearTimeout(timer);
    }
    await this.deleteSucceeded(records.filter((record) => !failed.has(record.messageId)));
    await this.options.onBatch?.({ records, failed, batchError, requestId });
  }

  private async deleteSucceeded(records: SQSRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += SQS_MAX_PER_RECEIVE) {
      const chunk = records.slice(start, start + SQS_MAX_PER_RECEIVE);
      const { Failed = [] } = await this.options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
      // a handle that expired (the batch outlived the visibility timeout):
      // the message is processed again, as it would be on AWS
      for (const failure of Failed) {
        this.options.onError?.(
          new Error(
            `could not delete message ${chunk[Number(failure.Id)]?.messageId}: ${failure.Message}`,
          ),
        );
      }
    }
  }
}
