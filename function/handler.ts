// Lambda entry point for two event sources. SQS batches of S3 notifications:
// one stored result per object, and a partial batch response naming exactly
// the messages to retry (Powertools batch utility; the event source mapping
// must enable ReportBatchItemFailures). S3 Batch Operations invocations: one
// result per task, Succeeded, TemporaryFailure or PermanentFailure. What a
// failure means is decided in one place, outcomes/failure-policy.ts.
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { concurrencyLimit } from "./concurrency-limit";
import { loadConfig, type FunctionConfig } from "./config";
import {
  batchResponse,
  checkInvocation,
  isBatchOperationsEvent,
  parseTask,
  taskResult,
  type BatchOperationsEvent,
  type BatchOperationsResponse,
  type BatchOperationsTask,
  type BatchOperationsTaskResult,
} from "./events/batch-operations";
import { MalformedMessageError, parseMessage } from "./events/object-created";
import { Extractor } from "./extractor";
import { ObjectProcessor, type Outcome } from "./object-processor";
import { judge } from "./outcomes/failure-policy";
import { reportVerdict } from "./outcomes/report";
import { createS3Client } from "./ranges/s3-client";
import { EventPublisher } from "./results/event-publisher";
import { AnnotationResultSink } from "./results/annotation-sink";
import { ResultRemover } from "./results/result-remover";
import { storedLocation, type ResultSink } from "./results/result-sink";
import { S3ResultSink } from "./results/s3-result-sink";

/** The configured destination's writer: the results bucket, annotations, or both. */
function resultSink(config: FunctionConfig, s3: S3Client): ResultSink {
  const bucket = new S3ResultSink(s3, config.resultsBucket, config.resultsPrefix);
  if (config.resultDestination === "bucket") return bucket;
  return new AnnotationResultSink(
    s3,
    config.annotationName,
    bucket,
    config.resultDestination === "both",
  );
}

/** A message's failure whose verdict is already logged and counted. */
class ReportedFailure extends Error {
  constructor(override readonly cause: unknown) {
    super("reported", { cause });
  }
}

export interface Handler {
  (event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
  (event: BatchOperationsEvent, context: Context): Promise<BatchOperationsResponse>;
}

type AnyEventHandler = (
  event: SQSEvent | BatchOperationsEvent,
  context: Context,
) => Promise<SQSBatchResponse | BatchOperationsResponse>;

export interface HandlerRuntime {
  handler: Handler;
  extractor: Extractor;
  close(): Promise<void>;
}

/** Builds the handler and everything it keeps warm between invocations. */
export function createHandler(env: NodeJS.ProcessEnv = process.env): HandlerRuntime {
  const config = loadConfig(env);
  const s3 = createS3Client({}, env);
  const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? "s3-exiftool" });
  const metrics = new Metrics({
    namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "S3ExifTool",
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? "s3-exiftool",
  });
  const extractor = new Extractor({
    s3,
    workers: config.workers,
    exiftoolOptions: config.exiftoolOptions,
    maxWorkerMemoryBytes: config.maxWorkerRssBytes,
    aloneMemoryBytes: config.aloneWorkerRssBytes,
    env,
  });
  const processor = new ObjectProcessor({
    config,
    extractor,
    s3,
    sink: resultSink(config, s3),
    remover:
      config.resultDestination === "annotation"
        ? undefined
        : new ResultRemover(s3, config.resultsBucket, config.resultsPrefix),
    publisher: config.eventBusName
      ? new EventPublisher(
          new EventBridgeClient({
            region: env.AWS_REGION,
            endpoint: env.AWS_ENDPOINT_URL_EVENTBRIDGE || env.AWS_ENDPOINT_URL || undefined,
          }),
          config.eventBusName,
        )
      : undefined,
    logger,
    metrics,
  });
  // twice the workers: while each worker parses, the next object's first
  // range is already on its way from S3
  const limit = concurrencyLimit(2 * config.workers);
  const batch = new BatchProcessor(EventType.SQS);

  const sqsBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    metrics.addMetric("MessagesReceived", MetricUnit.Count, event.Records.length);
    const remainingMs = (): number => context.getRemainingTimeInMillis();
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      try {
        await handleRecord(record);
      } catch (error) {
        // the failures handleRecord reports itself are verdicts; anything
        // else would fail the message with no word in the logs
        if (!(error instanceof ReportedFailure)) {
          logger.error("message failed unexpectedly", { messageId: record.messageId, error });
          throw error;
        }
        throw error.cause;
      }
    };
    const handleRecord = async (record: SQSRecord): Promise<void> => {
      let message;
      try {
        message = parseMessage(record.body);
      } catch (error) {
        reportVerdict(logger, metrics, judge(error), { messageId: record.messageId }, error);
        throw new ReportedFailure(error);
      }
      if (message.kind === "test") {
        logger.info("s3:TestEvent acknowledged", { messageId: record.messageId });
        return;
      }
      if (message.kind === "ignored") {
        logger.info("message skipped", { messageId: record.messageId, reason: message.reason });
        return;
      }
      for (const reason of message.skipped)
        logger.info("record skipped", { messageId: record.messageId, reason });
      // how often SQS has handed this message out: a failure that a retry
      // might cure is final only on a later receive (failure-policy.ts)
      const attempt = { receiveCount: Number(record.attributes?.ApproximateReceiveCount) || 1 };
      const outcomes = await Promise.all([
        ...message.objects.map((object) =>
          limit(() => processor.process(object, remainingMs, attempt)),
        ),
        ...message.removals.map((removed) => limit(() => processor.remove(removed, attempt))),
      ]);
      // the message fails (and so returns, or ends in the DLQ) unless each of
      // its objects was stored or acknowledged
      const failed = outcomes.find(
        (outcome) => outcome.failure && outcome.failure.verdict.disposition !== "acknowledge",
      );
      if (failed) throw new ReportedFailure(failed.failure!.error);
    };
    return processPartialResponse(event, recordHandler, batch, {
      context,
      // a fully failed batch is reported like any other, not thrown, so the
      // same messages are retried either way and the logs say why
      throwOnFullBatchFailure: false,
    });
  };

  const answer = (task: BatchOperationsTask, outcome: Outcome): BatchOperationsTaskResult => {
    const location = outcome.stored && storedLocation(outcome.stored);
    if (!outcome.failure) return taskResult(task.taskId, "Succeeded", location!);
    const { verdict } = outcome.failure;
    // a long reason is cut, never the result's location after it
    return taskResult(
      task.taskId,
      verdict.disposition === "retry" ? "TemporaryFailure" : "PermanentFailure",
      `${verdict.failureType}: ${verdict.reason}`,
      location ? `; result at ${location}` : "",
    );
  };

  const batchOperations = async (
    event: BatchOperationsEvent,
    context: Context,
  ): Promise<BatchOperationsResponse> => {
    // an invocation that cannot be answered is an invocation error: the job records it
    checkInvocation(event);
    metrics.addMetric("BatchTasksReceived", MetricUnit.Count, event.tasks.length);
    const remainingMs = (): number => context.getRemainingTimeInMillis();
    const job = { jobId: event.job?.id, invocationId: event.invocationId };
    const results = await Promise.all(
      event.tasks.map(async (task) => {
        const fields = { ...job, taskId: task.taskId };
        let object;
        try {
          object = parseTask(task, event.invocationSchemaVersion);
        } catch (error) {
          const verdict = judge(error);
          reportVerdict(logger, metrics, verdict, fields, error);
          return taskResult(
            task.taskId,
            "PermanentFailure",
            `${verdict.failureType}: ${verdict.reason}`,
          );
        }
        const outcome = await limit(() => processor.process(object, remainingMs));
        return answer(task, outcome);
      }),
    );
    logger.info("batch operations tasks answered", {
      ...job,
      userArguments: event.job?.userArguments ?? undefined,
      results: results.map(({ taskId, resultCode }) => ({ taskId, resultCode })),
    });
    return batchResponse(event, results);
  };

  const handler: AnyEventHandler = async (event, context) => {
    logger.addContext(context);
    try {
      if (isBatchOperationsEvent(event)) return await batchOperations(event, context);
      checkSqsEvent(event);
      return await sqsBatch(event, context);
    } finally {
      // also keeps Powertools from printing its plain-text "no metrics" warning
      metrics.publishStoredMetrics();
    }
  };
  return { handler: handler as Handler, extractor, close: () => extractor.close() };
}

/** An invocation from neither source (`null`, `{}`) is an invocation error that says so. */
function checkSqsEvent(event: unknown): asserts event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) {
    throw new MalformedMessageError(
      `the event is neither an SQS batch (Records) nor an S3 Batch Operations invocation (invocationSchemaVersion): got ${event === null ? "null" : typeof event === "object" ? `an object with ${JSON.stringify(Object.keys(event).slice(0, 5))}` : typeof event}`,
    );
  }
}

let runtime: HandlerRuntime | undefined;

// On Lambda, build everything in the init phase, before the first event:
// configuration errors stop the init with their message, and the first
// worker's Perl start-up is paid there instead of by the first object.
if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
  runtime = createHandler();
  // a failure here is reported by the first extraction that needs the worker
  runtime.extractor.exiftoolVersion().catch(() => undefined);
}

/** The function's CMD: `handler.handler`. Configuration is read on the first (cold) invocation. */
const dispatch: AnyEventHandler = (event, context) => {
  runtime ??= createHandler();
  return (runtime.handler as AnyEventHandler)(event, context);
};
export const handler = dispatch as Handler;
