// Lambda entry point: SQS batches of S3 notifications in, one stored result
// per object out, and a partial batch response naming exactly the messages
// to retry (Powertools batch utility; the event source mapping must enable
// ReportBatchItemFailures).
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { concurrencyLimit } from "./concurrency-limit";
import { loadConfig } from "./config";
import { parseMessage } from "./events/object-created";
import { Extractor } from "./extractor";
import { ObjectProcessor } from "./object-processor";
import { createS3Client } from "./ranges/s3-client";
import { EventPublisher } from "./results/event-publisher";
import { S3ResultSink } from "./results/s3-result-sink";

export type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

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
    env,
  });
  const processor = new ObjectProcessor({
    config,
    extractor,
    sink: new S3ResultSink(s3, config.resultsBucket, config.resultsPrefix),
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

  const handler: Handler = async (event, context) => {
    logger.addContext(context);
    // also keeps Powertools from printing its plain-text "no metrics" warning
    metrics.addMetric("MessagesReceived", MetricUnit.Count, event.Records.length);
    const remainingMs = (): number => context.getRemainingTimeInMillis();
    const recordHandler = async (record: SQSRecord): Promise<void> => {
      let message;
      try {
        message = parseMessage(record.body);
      } catch (error) {
        logger.error("malformed message", { messageId: record.messageId, error: error as Error });
        throw error;
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
      await Promise.all(
        message.objects.map((object) => limit(() => processor.process(object, remainingMs))),
      );
    };
    try {
      return await processPartialResponse(event, recordHandler, batch, {
        context,
        // a fully failed batch is reported like any other, not thrown, so the
        // same messages are retried either way and the logs say why
        throwOnFullBatchFailure: false,
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
  return { handler, extractor, close: () => extractor.close() };
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
export const handler: Handler = (event, context) => {
  runtime ??= createHandler();
  return runtime.handler(event, context);
};
