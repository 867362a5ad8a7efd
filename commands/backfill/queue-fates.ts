// What became of the objects a local backfill announced, whatever else the
// queue holds: stored when a result written since the announcement says
// so; failed when their own message sits in the dead-letter queue, when
// that result records a failure (Batch Operations counts those failed
// too), or when the object is gone with no record written; waiting otherwise
// (being extracted, or between retries).
import {
  GetObjectAnnotationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { concurrencyLimit } from "../../function/concurrency-limit";
import { resultKey, type ResultRecord } from "../../function/results/result-record";
import { sleep } from "../ops/args";
import { BACKFILL_CONFIGURATION_ID } from "./queue-announce";
import type { Target } from "./target";

export interface FateCounts {
  stored: number;
  failed: number;
  waiting: number;
}

export interface FailedObject {
  key: string;
  /** In the dead-letter queue (a redrive tries it again), or settled otherwise. */
  deadLettered: boolean;
  reason: string;
}

/** Long enough to read the whole dead-letter queue once; the messages are then made visible again. */
const PEEK_VISIBILITY_SECONDS = 30;

/** What a record says of its object: enough to tell a result from a recorded failure. */
type RecordFields = Pick<ResultRecord, "status" | "failure" | "storageClass">;

const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** undefined for a 404 (or NoSuchAnnotation); any other error is thrown. */
async function unlessMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (httpStatus(error) === 404 || (error as Error).name === "NoSuchAnnotation") return undefined;
    throw error;
  }
}

/** Why the record says its object failed; undefined when it holds the object's metadata. */
function failureIn(text: string): string | undefined {
  let record: Partial<RecordFields> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) record = parsed;
  } catch {
    // named below
  }
  if (record === undefined) return "its result location holds something that is not a record";
  if (record.status === "failed") {
    return `its result records a failure (${record.failure?.type ?? "no reason given"})`;
  }
  if (record.status === "archived") {
    return `its result records it archived (${record.storageClass ?? "no storage class given"}): S3 will not serve its bytes`;
  }
  return undefined;
}

export class QueueFates {
  /** Announced and not yet settled, by the sequencer of their message. */
  private readonly waiting = new Map<string, string>();
  private stored = 0;
  readonly failures: FailedObject[] = [];
  private readonly limit = concurrencyLimit(16);

  private constructor(
    private readonly s3: S3Client,
    private readonly sqs: SQSClient,
    private readonly deadLetterQueueUrl: string,
    private readonly target: Pick<
      Target,
      "uploadBucket" | "resultsBucket" | "resultsPrefix" | "annotationName"
    >,
    /** A record is this run's when written from then on. */
    private readonly since: number,
  ) {}

  /**
   * Waits for the next whole second before anything is announced: S3 dates
   * keep whole seconds, so a record written before the wait is dated
   * before it, and one written for this run is not.
   */
  static async start(
    s3: S3Client,
    sqs: SQSClient,
    deadLetterQueueUrl: string,
    target: QueueFates["target"],
  ): Promise<QueueFates> {
    const since = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await sleep(since - Date.now());
    return new QueueFates(s3, sqs, deadLetterQueueUrl, target, since);
  }

  announced(key: string, sequencer: string): void {
    this.waiting.set(sequencer, key);
  }

  counts(): FateCounts {
    return { stored: this.stored, failed: this.failures.length, waiting: this.waiting.size };
  }

  /** Looks again at every object still waiting. */
  async update(): Promise<FateCounts> {
    for (const sequencer of await this.deadLettered()) {
      const key = this.waiting.get(sequencer);
      if (key === undefined) continue;
      this.waiting.delete(sequencer);
      this.failures.push({
        key,
        deadLettered: true,
        reason: `its message is in ${this.deadLetterQueueUrl}`,
      });
    }
    await Promise.all(
      [...this.waiting].map(([sequencer, key]) =>
        this.limit(async () => {
          const fate = await this.fateOf(key);
          if (fate === "waiting") return;
          this.waiting.delete(sequencer);
          if (fate === "stored") this.stored += 1;
          else this.failures.push({ key, deadLettered: false, reason: fate.failed });
        }),
      ),
    );
    return this.counts();
  }

  private async fateOf(key: string): Promise<"stored" | "waiting" | { failed: string }> {
    const record = await this.recordSince(key);
    if (record !== undefined) {
      const failed = failureIn(record);
      return failed === undefined ? "stored" : { failed };
    }
    const object = await unlessMissing(() =>
      this.s3.send(new HeadObjectCommand({ Bucket: this.target.uploadBucket, Key: key })),
    );
    return object ? "waiting" : { failed: "it is gone from the bucket, and no record was written" };
  }

  /**
   * The text of the object's record written since the announcement: its annotation
   * when the stack writes them, else (or when S3 refused the annotation)
   * its result in the results location.
   */
  private async recordSince(key: string): Promise<string | undefined> {
    const name = this.target.annotationName;
    if (name !== undefined) {
      const annotation = await unlessMissing(() =>
        this.s3.send(
          new GetObjectAnnotationCommand({
            Bucket: this.target.uploadBucket,
            Key: key,
            AnnotationName: name,
          }),
        ),
      );
      if (annotation && this.isRecent(annotation.LastModified)) {
        return annotation.AnnotationPayload!.transformToString();
      }
    }
    const where = {
      Bucket: this.target.resultsBucket,
      Key: resultKey(this.target.resultsPrefix, key),
    };
    const head = await unlessMissing(() => this.s3.send(new HeadObjectCommand(where)));
    if (!head || !this.isRecent(head.LastModified)) return undefined;
    const result = await this.s3.send(new GetObjectCommand(where));
    return result.Body!.transformToString();
  }

  private isRecent(lastModified: Date | undefined): boolean {
    return (lastModified?.getTime() ?? 0) >= this.since;
  }

  /** The sequencers of the backfill messages in the dead-letter queue; the queue is left as it was. */
  private async deadLettered(): Promise<string[]> {
    const seen: Message[] = [];
    for (;;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
        }),
      );
      if (Messages.length === 0) break;
      seen.push(...Messages);
    }
    for (let i = 0; i < seen.length; i += 10) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.deadLetterQueueUrl,
          Entries: seen.slice(i, i + 10).map((message, j) => ({
            Id: String(j),
            ReceiptHandle: message.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
    return seen.flatMap((message) => sequencersOf(message.Body ?? ""));
  }
}

interface Notification {
  Records?: { s3?: { configurationId?: unknown; object?: { sequencer?: unknown } } }[];
}

function sequencersOf(body: string): string[] {
  try {
    const { Records } = JSON.parse(body) as Notification;
    return (Records ?? []).flatMap(({ s3 }) => {
      const sequencer = s3?.object?.sequencer;
      const ours = s3?.configurationId === BACKFILL_CONFIGURATION_ID;
      return ours && typeof sequencer === "string" ? [sequencer] : [];
    });
  } catch {
    // not an S3 notification: not one of ours
    return [];
  }
}
