// The emulator has no message move tasks (fauxqs 1.9.2 lacks
// StartMessageMoveTask): receive from the dead-letter queue, send to the work
// queue, delete what was sent, until the dead-letter queue is empty. A
// message is deleted only once its copy is on the work queue, so a crash
// in between duplicates it rather than losing it.
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { plural } from "../plural";

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

export async function moveMessages(
  sqs: SQSClient,
  fromUrl: string,
  toUrl: string,
  onMoved: (moved: number) => void,
): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fromUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        // long enough to send and delete them before anyone else sees them
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return moved;
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: toUrl,
        Entries: Messages.map((message, i) => ({
          Id: String(i),
          MessageBody: message.Body!,
          ...(message.MessageAttributes ? { MessageAttributes: message.MessageAttributes } : {}),
        })),
      }),
    );
    if (Successful.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: fromUrl,
          Entries: Successful.map((sent) => ({
            Id: sent.Id,
            ReceiptHandle: Messages[Number(sent.Id)]!.ReceiptHandle!,
          })),
        }),
      );
    }
    moved += Successful.length;
    onMoved(moved);
    if (Failed.length > 0) {
      throw new Error(
        `the work queue refused ${plural(Failed.length, "message")} (${Failed[0]!.Message ?? Failed[0]!.Code}); they stay in the dead-letter queue`,
      );
    }
  }
}
