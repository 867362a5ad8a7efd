// What happens to one announced object: extract, store, announce; or say
// clearly why nothing was stored. Throwing fails the SQS message that carried
// the object, so it is retried on its own and parked in the DLQ in the end.
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { FunctionConfig } from "./config";
import type { ObjectCreated } from "./events/object-created";
import type { Extractor } from "./extractor";
import { S3ReadError } from "./ranges/s3-errors";
import type { EventPublisher } from "./results/event-publisher";
import { buildResult } from "./results/result-record";
import type { S3ResultSink } from "./results/s3-result-sink";

export type Outcome = "stored" | "deleted-before-read" | "results-prefix";

/** The Lambda deadline came too close to start an extraction: retry later. */
export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}

export interface ProcessorDeps {
  config: FunctionConfig;
  extractor: Extractor;
  sink: S3ResultSink;
  publisher?: EventPublisher;
  logger: Logger;
  metrics: Metrics;
}

const MIN_EXTRACTION_MS = 1_000;

const unquote = (eTag?: string): string | undefined => eTag?.replace(/"/g, "");

export function failureType(error: unknown): string {
  if (error instanceof S3ReadError) return error.kind;
  if (error instanceof Error && "kind" in error) return String((error as { kind: unknown }).kind);
  return error instanceof Error ? error.name : "Unknown";
}

export class ObjectProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  /** Extracts `where`, or the event's other reading of the key if that is the one that exists (then `where.key` becomes it). */
  private async extractEitherKey(
    object: ObjectCreated,
    where: { bucket: string; key: string },
    timeoutMs: number,
  ) {
    const { extractor, logger } = this.deps;
    try {
      // the announced size lets a small object come whole in one GET
      return await extractor.extract({ ...where, announcedSize: object.size }, timeoutMs);
    } catch (error) {
      const notFound = error instanceof S3ReadError && error.kind === "NotFound";
      if (!notFound || object.alternateKey === undefined) throw error;
      logger.info("key not found as sent; trying its URL-decoded reading", {
        ...where,
        alternateKey: object.alternateKey,
      });
      where.key = object.alternateKey;
      return extractor.extract({ ...where, announcedSize: object.size }, timeoutMs);
    }
  }

  async process(object: ObjectCreated, remainingMs: () => number): Promise<Outcome> {
    const { config, extractor, sink, publisher, logger, metrics } = this.deps;
    // the key found, if the event offered two readings of it
    const where = { bucket: object.bucket, key: object.key };
    if (object.bucket === config.resultsBucket && object.key.startsWith(config.resultsPrefix)) {
      // our own output: processing it would loop forever
      logger.info("skipped: key is under the results prefix", {
        ...where,
        outcome: "results-prefix",
      });
      return "results-prefix";
    }
    try {
      const timeoutMs = remainingMs() - config.reserveMs;
      if (timeoutMs < MIN_EXTRACTION_MS) {
        throw new DeadlineError(
          `only ${remainingMs()} ms left before the Lambda deadline: s3://${object.bucket}/${object.key} left for a retry`,
        );
      }
      const extraction = await this.extractEitherKey(object, where, timeoutMs);
      const result = buildResult(
        where,
        extraction.object,
        await extractor.exiftoolVersion(),
        extraction.metadata,
      );
      const stored = await sink.write(result);
      if (publisher) await publisher.publish(result, stored);
      const stale =
        object.eTag !== undefined && unquote(object.eTag) !== unquote(extraction.object.eTag);
      logger.info("stored", {
        ...where,
        size: extraction.object.size,
        bytesRead: extraction.stats.bytesRead,
        requests: extraction.stats.requests,
        durationMs: extraction.durationMs,
        result: `s3://${stored.bucket}/${stored.key}`,
        staleNotification: stale,
        outcome: "stored",
      });
      metrics.addMetric("ObjectsProcessed", MetricUnit.Count, 1);
      metrics.addMetric("BytesRead", MetricUnit.Bytes, extraction.stats.bytesRead);
      metrics.addMetric("ObjectSize", MetricUnit.Bytes, extraction.object.size);
      metrics.addMetric("Duration", MetricUnit.Milliseconds, extraction.durationMs);
      return "stored";
    } catch (error) {
      if (error instanceof S3ReadError && error.kind === "NotFound") {
        logger.warn("skipped: object deleted before it was read", {
          ...where,
          outcome: "deleted-before-read",
        });
        metrics.addMetric("ObjectsDeletedBeforeRead", MetricUnit.Count, 1);
        return "deleted-before-read";
      }
      const type = failureType(error);
      logger.error("failed", {
        ...where,
        outcome: "failed",
        failureType: type,
        error: error as Error,
      });
      metrics
        .singleMetric()
        .addDimension("FailureType", type)
        .addMetric("Failures", MetricUnit.Count, 1);
      throw error;
    }
  }
}
