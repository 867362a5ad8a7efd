// What became of each uploaded object, read from the event source mapping's
// batch reports: a stored result, a failed attempt (retried later, parked in
// the DLQ after maxReceiveCount receives), or a message processed without a
// result. `npm start` prints these and waits on them.
import { GetObjectAnnotationCommand, GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { writtenAnnotation } from "../function/config";
import { parseMessage } from "../function/events/object-created";
import { resultKey, type ResultRecord } from "../function/results/result-record";
import type { BatchReport } from "./event-source-mapping";

/** A result as read back from S3: its metadata parsed. */
export type StoredRecord = Omit<ResultRecord, "metadata"> & { metadata: Record<string, unknown> };

export type Outcome =
  | {
      key: string;
      status: "stored";
      resultKey: string;
      /** Where the record was read: s3://results/KEY.json, or the object's annotation. */
      location: string;
      result: StoredRecord;
    }
  | {
      key: string;
      status: "failed";
      reason: string;
      receiveCount: number;
      /** The queue's redrive moves it to the DLQ at its next receive. */
      toDeadLetterQueue: boolean;
    }
  | { key: string; status: "no-result"; reason: string };

/** A failed message that names no upload (not JSON, not a notification): retried, then parked, like any other. */
export interface MessageFailure {
  status: "malformed";
  messageId: string;
  reason: string;
  receiveCount: number;
  toDeadLetterQueue: boolean;
}

export interface OutcomeOptions {
  /** Reads results; best not through the proxy, whose faults are for the handler. */
  s3: S3Client;
  uploadBucket: string;
  resultsBucket: string;
  resultsPrefix: string;
  maxReceiveCount: number;
  /** The function's environment: with RESULT_DESTINATION annotation or both, results are read back as annotations. */
  functionEnvironment?: Record<string, string>;
  /** Reads annotations: through the proxy, the only local S3 that has them. */
  annotationClient?: S3Client;
}

type Waiter = (outcome: Outcome) => void;

export class Outcomes {
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(private readonly options: OutcomeOptions) {}

  /** Resolves with the key's next outcome. */
  next(key: string): Promise<Outcome> {
    return new Promise((resolve) => {
      this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]);
    });
  }

  /**
   * Turns a batch report into one outcome per announced upload, and hands
   * each to its waiters; a failed message that names no upload is reported
   * as such.
   */
  async record(report: BatchReport): Promise<(Outcome | MessageFailure)[]> {
    const outcomes: (Outcome | MessageFailure)[] = [];
    for (const record of report.records) {
      const failed = report.failed.has(record.messageId);
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      let keys: string[];
      try {
        const message = parseMessage(record.body);
        keys =
          message.kind === "objects"
            ? message.objects
                .filter((o) => o.bucket === this.options.uploadBucket)
                .map((o) => o.key)
            : [];
      } catch (error) {
        // not an upload's notification: nobody waits for it, but its failure is news
        if (failed)
          outcomes.push({
            status: "malformed",
            messageId: record.messageId,
            reason: (error as Error).message,
            ...this.attempt(receiveCount),
          });
        continue;
      }
      for (const key of keys) {
        const outcome = failed ? this.failed(key, report, receiveCount) : await this.stored(key);
        outcomes.push(outcome);
        const waiting = this.waiters.get(key) ?? [];
        this.waiters.delete(key);
        for (const resolve of waiting) resolve(outcome);
      }
    }
    return outcomes;
  }

  private failed(key: string, report: BatchReport, receiveCount: number): Outcome {
    return {
      key,
      status: "failed",
      reason: report.batchError ?? "the handler reported it failed (its log above says why)",
      ...this.attempt(receiveCount),
    };
  }

  /** The queue's redrive moves a failed message to the DLQ at its next receive after maxReceiveCount. */
  private attempt(receiveCount: number): { receiveCount: number; toDeadLetterQueue: boolean } {
    return { receiveCount, toDeadLetterQueue: receiveCount >= this.options.maxReceiveCount };
  }

  private async stored(key: string): Promise<Outcome> {
    const name = writtenAnnotation(
      this.options.functionEnvironment?.RESULT_DESTINATION,
      this.options.functionEnvironment?.ANNOTATION_NAME,
    );
    if (name !== undefined && this.options.annotationClient)
      return this.annotated(key, name, this.options.annotationClient);
    const { s3, resultsBucket, resultsPrefix } = this.options;
    const location = resultKey(resultsPrefix, key);
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: resultsBucket, Key: location }));
      const result = JSON.parse(await object.Body!.transformToString()) as StoredRecord;
      return {
        key,
        status: "stored",
        resultKey: location,
        location: `s3://${resultsBucket}/${location}`,
        result,
      };
    } catch (error) {
      const name = (error as { name?: string }).name;
      const reason =
        name === "NoSuchKey"
          ? "processed without a result: deleted before it was read, or under the results prefix"
          : `result s3://${resultsBucket}/${location} unreadable: ${String(error)}`;
      return { key, status: "no-result", reason };
    }
  }

  /** The record exactly as the annotation holds it: what S3 Metadata's annotation table shows. */
  private async annotated(key: string, name: string, s3: S3Client): Promise<Outcome> {
    const Bucket = this.options.uploadBucket;
    try {
      const answer = await s3.send(
        new GetObjectAnnotationCommand({ Bucket, Key: key, AnnotationName: name }),
      );
      const result = JSON.parse(
        await answer.AnnotationPayload!.transformToString(),
      ) as StoredRecord;
      return {
        key,
        status: "stored",
        resultKey: name,
        location: `annotation ${name} on s3://${Bucket}/${key}`,
        result,
      };
    } catch (error) {
      const code = (error as { name?: string }).name;
      const reason =
        code === "NoSuchAnnotation" || code === "NoSuchKey"
          ? "processed without an annotation: deleted before it was read, refused by S3 (the log says why), or under the results prefix"
          : `annotation ${name} of s3://${Bucket}/${key} unreadable: ${String(error)}`;
      return { key, status: "no-result", reason };
    }
  }
}
