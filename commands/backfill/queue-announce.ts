// Locally there is no Batch Operations: the backfill announces each selected
// object on the work queue as S3 would have when it was uploaded, with the
// local pipeline's own notification builder, and the running pipeline
// (`npm start`) extracts them.
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { nextSequencer, s3EventBody } from "../../local/s3-event";
import type { ListedObject } from "./staleness";

const SQS_BATCH = 10;

/** Marks the backfill's notifications, as a bucket's notification configuration would its own. */
export const BACKFILL_CONFIGURATION_ID = "s3-exiftool-backfill";

export class QueueAnnouncer {
  private pending: ListedObject[] = [];
  sent = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly bucket: string,
    private readonly region: string,
    /** Told of each object once its message is on the queue. */
    private readonly onSent: (key: string, sequencer: string) => void = () => undefined,
  ) {}

  async add(object: ListedObject): Promise<void> {
    this.pending.push(object);
    if (this.pending.length === SQS_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const now = new Date();
    const sequencers = batch.map(() => nextSequencer(now.getTime()));
    const { Failed = [] } = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: batch.map((object, i) => ({
          Id: String(i),
          MessageBody: s3EventBody(
            { bucket: this.bucket, ...object, sequencer: sequencers[i]! },
            {
              eventName: "ObjectCreated:Put",
              region: this.region,
              eventTime: now,
              configurationId: BACKFILL_CONFIGURATION_ID,
              requestId: "backfill",
              hostId: "backfill",
              sourceIPAddress: "127.0.0.1",
            },
          ),
        })),
      }),
    );
    if (Failed.length > 0) {
      const keys = Failed.map((f) => `${batch[Number(f.Id)]!.key} (${f.Message ?? f.Code})`);
      throw new Error(`the queue refused ${keys.join(", ")}`);
    }
    for (const [i, object] of batch.entries()) this.onSent(object.key, sequencers[i]!);
    this.sent += batch.length;
  }
}
