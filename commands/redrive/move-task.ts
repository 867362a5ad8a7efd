// On AWS, SQS moves the dead-letter queue's messages back itself: one
// StartMessageMoveTask, then ListMessageMoveTasks (most recent task first)
// until it has ended.
import {
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";

const ENDED = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

export async function startMoveTask(
  sqs: SQSClient,
  deadLetterQueueArn: string,
  queueArn: string,
): Promise<string> {
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: deadLetterQueueArn, DestinationArn: queueArn }),
  );
  if (!TaskHandle) throw new Error("StartMessageMoveTask returned no TaskHandle");
  return TaskHandle;
}

export async function followMoveTask(
  sqs: SQSClient,
  deadLetterQueueArn: string,
  onProgress: (task: ListMessageMoveTasksResultEntry) => void,
  wait: () => Promise<void>,
): Promise<ListMessageMoveTasksResultEntry> {
  for (;;) {
    const { Results = [] } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: deadLetterQueueArn, MaxResults: 1 }),
    );
    const task = Results[0];
    if (!task) throw new Error(`ListMessageMoveTasks shows no task for ${deadLetterQueueArn}`);
    onProgress(task);
    if (ENDED.has(task.Status ?? "")) return task;
    await wait();
  }
}
