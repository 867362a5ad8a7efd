// What happens to one announced object: extract, store, announce; or say
// clearly why nothing was stored. It never throws: every object ends in an
// Outcome, judged by the failure policy (outcomes/failure-policy.ts), which
// each event source answers in its own terms.
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { S3Client } from "@aws-sdk/client-s3";
import type { FunctionConfig } from "./config";
import { refuseAmbiguousKey } from "./events/ambiguous-key";
import type { ObjectCreated, ObjectRemoved } from "./events/object-created";
import type { Extractor } from "./extractor";
import { DeadlineError } from "./outcomes/deadline";
import type { WorkerError } from "./exiftool/exiftool-worker";
import { judge, type Attempt, type Verdict } from "./outcomes/failure-policy";
import { RefusedObjectError } from "./outcomes/refusal";
import { reportVerdict } from "./outcomes/report";
import { headObject } from "./ranges/object-head";
import { S3ReadError } from "./ranges/s3-errors";
import type { S3ObjectRef } from "./ranges/s3-range-source";
import type { EventPublisher } from "./results/event-publisher";
import {
  buildResult,
  failedResult,
  NO_METADATA,
  type ExiftoolRun,
  type ResultRecord,
} from "./results/result-record";
import { AnnotationRefusedError } from "./results/annotation-sink";
import type { ResultRemover } from "./results/result-remover";
import { storedLocation, type ResultSink, type StoredResult } from "./results/result-sink";

export interface Outcome {
  /** The object as read: `key` is the reading that was found, if the event offered two. */
  object: S3ObjectRef;
  /** Where a result was written, if one was (an archived object gets one too). */
  stored?: StoredResult;
  /** Why the object was not extracted; absent when it was. */
  failure?: { verdict: Verdict; error: unknown };
}

export interface ProcessorDeps {
  config: FunctionConfig;
  extractor: Extractor;
  /** For the HEAD that describes an archived object. */
  s3: S3Client;
  sink: ResultSink;
  /** Deletes a removed object's stale result; absent when results are annotations only. */
  remover?: ResultRemover;
  publisher?: EventPublisher;
  logger: Logger;
  metrics: Metrics;
}

const MIN_EXTRACTION_MS = 1_000;

const unquote = (eTag?: string): string | undefined => eTag?.replace(/"/g, "");

export class ObjectProcessor {
  constructor(private readonly deps: ProcessorDeps) {}

  /**
   * `remainingMs` is the invocation's time left; `attempt` what the event
   * source says of earlier tries (the failure policy's input).
   */
  async process(
    object: ObjectCreated,
    remainingMs: () => number,
    attempt: Attempt = {},
  ): Promise<Outcome> {
    const where: S3ObjectRef = { bucket: object.bucket, key: object.key };
    if (object.readVersionId !== undefined) where.versionId = object.readVersionId;
    try {
      this.refuse(where);
      return await this.extractAndStore(object, where, remainingMs);
    } catch (error) {
      return this.fail(where, error, attempt);
    }
  }

  /** A removal event: the object's result goes, unless it describes the object now at the key. */
  async remove(removed: ObjectRemoved, attempt: Attempt): Promise<Outcome> {
    const where: S3ObjectRef = { bucket: removed.bucket, key: removed.key };
    try {
      this.refuse(where);
      const { remover, logger, metrics } = this.deps;
      // annotations need nothing: S3 removes them with their object version
      const removal = remover ? await remover.remove(removed) : undefined;
      logger.info("removal", {
        ...where,
        eventName: removed.eventName,
        versionId: removed.versionId,
        sequencer: removed.sequencer,
        result: removal?.resultKey,
        outcome: removal?.removal ?? "annotations-removed-by-s3",
      });
      if (removal?.removal === "deleted") metrics.addMetric("ResultsDeleted", MetricUnit.Count, 1);
      return { object: where };
    } catch (error) {
      return this.fail(where, error, attempt);
    }
  }

  private async fail(where: S3ObjectRef, error: unknown, attempt: Attempt): Promise<Outcome> {
    let failure = error;
    // a refused annotation's record went to the results bucket instead
    let stored: StoredResult | undefined =
      error instanceof AnnotationRefusedError ? error.stored : undefined;
    let verdict = judge(error, attempt);
    if (verdict.record) {
      try {
        stored = await this.storeRecord(where, error, verdict.record);
      } catch (writeError) {
        // no result says what happened: that failure decides instead
        failure = writeError;
        verdict = judge(writeError, attempt);
      }
    }
    const fields = stored ? { ...where, result: storedLocation(stored) } : where;
    reportVerdict(this.deps.logger, this.deps.metrics, verdict, { ...fields }, failure);
    return { object: where, stored, failure: { verdict, error: failure } };
  }

  /** Objects the function will not read, whatever S3 would answer. */
  private refuse(where: S3ObjectRef): void {
    const { config } = this.deps;
    if (!config.uploadBuckets.includes(where.bucket)) {
      throw new RefusedObjectError(
        "ForeignBucket",
        `bucket ${where.bucket} is not an upload bucket of this stack (${config.uploadBuckets.join(", ")}): s3://${where.bucket}/${where.key} not read`,
      );
    }
    if (where.bucket === config.resultsBucket && where.key.startsWith(config.resultsPrefix)) {
      throw new RefusedObjectError(
        "ResultsPrefix",
        `key is under the results prefix: s3://${where.bucket}/${where.key} is a result, not read`,
      );
    }
  }

  private exiftoolRun = async (): Promise<ExiftoolRun> => ({
    version: await this.deps.extractor.exiftoolVersion(),
    options: this.deps.config.exiftoolOptions,
  });

  private async extractAndStore(
    object: ObjectCreated,
    where: S3ObjectRef,
    remainingMs: () => number,
  ): Promise<Outcome> {
    const { config, metrics, logger } = this.deps;
    const leftMs = remainingMs() - config.reserveMs;
    if (leftMs < MIN_EXTRACTION_MS) {
      throw new DeadlineError(
        `only ${remainingMs()} ms left before the Lambda deadline: s3://${where.bucket}/${where.key} left for a retry`,
      );
    }
    // the object's own budget counts from when a worker takes it; the
    // invocation's deadline (less the reserve) bounds the wait and the rest
    const limits = {
      timeoutMs: config.objectTimeoutMs || leftMs,
      deadlineAt: Date.now() + leftMs,
    };
    const extraction = await this.extractEitherKey(object, where, limits);
    const stale =
      object.eTag !== undefined && unquote(object.eTag) !== unquote(extraction.object.eTag);
    // the event's sequencer orders what was read only if the event describes it
    const sequencer = object.eTag !== undefined && !stale ? object.sequencer : undefined;
    const result = buildResult(
      where,
      { ...extraction.object, sequencer },
      await this.exiftoolRun(),
      extraction.json,
    );
    const stored = await this.store(result);
    logger.info("stored", {
      ...where,
      size: extraction.object.size,
      bytesRead: extraction.stats.bytesRead,
      requests: extraction.stats.requests,
      durationMs: extraction.durationMs,
      result: storedLocation(stored),
      staleNotification: stale,
      outcome: "stored",
    });
    metrics.addMetric("ObjectsProcessed", MetricUnit.Count, 1);
    if (stored.annotation) metrics.addMetric("AnnotationsWritten", MetricUnit.Count, 1);
    metrics.addMetric("BytesRead", MetricUnit.Bytes, extraction.stats.bytesRead);
    metrics.addMetric("ObjectSize", MetricUnit.Bytes, extraction.object.size);
    metrics.addMetric("Duration", MetricUnit.Milliseconds, extraction.durationMs);
    return { object: where, stored };
  }

  /** Extracts `where`, or the event's other reading of the key if that is the one that exists (then `where.key` becomes it). */
  private async extractEitherKey(
    object: ObjectCreated,
    where: S3ObjectRef,
    { timeoutMs, deadlineAt }: { timeoutMs: number; deadlineAt: number },
  ) {
    const { extractor, logger } = this.deps;
    try {
      // the announced size lets a small object come whole in one GET
      const extraction = await extractor.extract(
        { ...where, announcedSize: object.size },
        timeoutMs,
        deadlineAt,
      );
      if (object.alternateKey !== undefined) {
        await refuseAmbiguousKey(this.deps.s3, where, object.alternateKey);
      }
      return extraction;
    } catch (error) {
      const notFound = error instanceof S3ReadError && error.kind === "NotFound";
      if (!notFound || object.alternateKey === undefined) throw error;
      logger.info("key not found as sent; trying its other reading", {
        ...where,
        alternateKey: object.alternateKey,
      });
      where.key = object.alternateKey;
      return extractor.extract({ ...where, announcedSize: object.size }, timeoutMs, deadlineAt);
    }
  }

  private async store(result: ResultRecord): Promise<StoredResult> {
    const stored = await this.deps.sink.write(result);
    if (this.deps.publisher) await this.deps.publisher.publish(result, stored);
    return stored;
  }

  /** The result that an acknowledged failure leaves: the object is archived, or fails every time. */
  private storeRecord(
    where: S3ObjectRef,
    error: unknown,
    status: "archived" | "failed",
  ): Promise<StoredResult> {
    if (status === "archived") return this.storeArchived(where, error as S3ReadError);
    return this.storeFailure(where, error as WorkerError);
  }

  /** What was read of the object, why it failed, and the settings it failed under. */
  private async storeFailure(where: S3ObjectRef, error: WorkerError): Promise<StoredResult> {
    // the extractor says what it read; a HEAD only if it had nothing yet
    const object = error.object ?? (await headObject(this.deps.s3, where));
    const failure = { type: error.kind, message: error.message, limits: this.deps.config.limits };
    return this.store(failedResult(where, object, await this.exiftoolRun(), failure));
  }

  /** S3 will not serve an archived object's bytes, but HEAD still describes it: a result says so. */
  private async storeArchived(where: S3ObjectRef, error: S3ReadError): Promise<StoredResult> {
    const head = await headObject(this.deps.s3, where);
    const storageClass = head.storageClass ?? error.storageClass;
    return this.store(
      buildResult(
        where,
        { ...head, storageClass },
        await this.exiftoolRun(),
        NO_METADATA,
        new Date(),
        "archived",
      ),
    );
  }
}
