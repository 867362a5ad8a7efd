// What became of the objects a local backfill announced, whatever else the
// queue holds: stored when their result was written after the announcement,
// failed when their own message sits in the dead-letter queue, waiting
// otherwise (being extracted, or between retries).
import { HeadObjectCommand, NotFound, type S3Client } from "@aws-sdk/client-s3";
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { concurrencyLimit } from "../../function/concurrency-limit";
import { resultKey } from "../../function/results/result-record";
import { BACKFILL_CONFIGURATION_ID } from "./queue-announce";
import type { Target } from "./target";

export interface FateCounts {
  stored: number;
  failed: number;
  waiting: number;
}

/** Long enough to read the whole dead-letter queue once; the messages are then made visible again. */
const PEEK_VISIBILITY_SECONDS = 30;

export class QueueFates {
  /** Announced and not yet settled, by the sequencer of their message. */
  private readonly waiting = new Map<string, string>();
  private stored = 0;
  private failed = 0;
  /** A result is this run's when written from this second on (S3 keeps whole seconds). */
  private readonly since: number;
  private readonly limit = concurrencyLimit(16);

  constructor(
    private readonly s3: S3Client,
    private readonly sqs: SQSClient,
    private readonly deadLetterQueueUrl: string,
    private readonly target: Pick<Target, "resultsBucket" | "resultsPrefix">,
    announcedAt: Date,
  ) {
    this.since = Math.floor(announcedAt.getTime() / 1000) * 1000;
  }

  announced(key: string, sequencer: string): void {
    this.waiting.set(sequencer, key);
  }

  counts(): FateCounts {
    return { stored: this.stored, failed: this.failed, waiting: this.waiting.size };
  }

  /** Looks again at every object still waiting. */
  async update(): Promise<FateCounts> {
    for (const sequencer of await this.deadLettered()) {
      if (this.waiting.delete(sequencer)) this.failed += 1;
    }
    await Promise.all(
      [...this.waiting].map(([sequencer, key]) =>
        this.limit(async () => {
          if (await this.resultWritten(key)) {
            this.waiting.delete(sequencer);
            this.stored += 1;
          }
        }),
      ),
    );
    return this.counts();
  }

  private async resultWritten(key: string): Promise<boolean> {
    try {
      const head = await this.s3.send(
        new HeadObjectCommand({
          Bucket: this.target.resultsBucket,
          Key: resultKey(this.target.resultsPrefix, key),
        }),
      );
      return (head.LastModified?.getTime() ?? 0) >= this.since;
    } catch (error) {
      if (error instanceof NotFound) return false;
      throw error;
    }
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
