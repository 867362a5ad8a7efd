// `npm run redrive -- (--stack NAME | --outputs FILE | --endpoint URL) [--dry-run] [--poll S]`:
// the dead-letter queue's messages back to the work queue.
import { SQSClient } from "@aws-sdk/client-sqs";
import { runCommand, secondsOption, userPath, UsageError, type Parsed } from "../command";
import { sleep } from "../ops/args";
import { linesOf, type CliIo as TerminalIo } from "../ops/run-cli";
import { ProgressLine, progressBar } from "../ops/progress";
import { readOutputs } from "../ops/stack-outputs";
import { plural } from "../plural";
import { followMoveTask, startMoveTask } from "./move-task";
import { moveMessages, queueDepth } from "./receive-loop";

export const USAGE = `usage: npm run redrive -- TARGET [--dry-run] [--poll SECONDS]
  TARGET      --stack NAME      a deployed stack (reads \`pulumi stack output --json --stack NAME\`)
              --outputs FILE    the same JSON, saved in a file
              --endpoint URL    the local pipeline of \`npm start\` (with --stack NAME for its stack file, default dev)
  --dry-run        only count the dead-letter queue's messages
  --poll SECONDS   how often to check progress (default 5)`;

const SPEC = {
  name: "npm run redrive",
  usage: USAGE,
  options: {
    stack: { type: "string" },
    outputs: { type: "string" },
    endpoint: { type: "string" },
    poll: { type: "string" },
    "dry-run": { type: "boolean" },
  },
} as const;

type Values = Parsed<typeof SPEC.options>["values"];

export interface CliIo extends TerminalIo {
  /** The SQS client for a deployed stack; tests pass their own. */
  awsSqs?: (region: string) => SQSClient;
}

interface Queues {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Set on AWS only: SQS moves the messages itself. */
  arns?: { queue: string; deadLetterQueue: string };
  destroy(): void;
}

async function queuesOf(values: Values, io: CliIo): Promise<Queues> {
  const endpoint = values.endpoint;
  if (endpoint !== undefined) {
    const { localStack } = await import("../ops/local-stack");
    const local = localStack(endpoint, values.stack ?? "dev");
    try {
      const queueUrl = await local.queueUrl(local.local.queueName);
      await local.checkServerStack(queueUrl);
      return {
        sqs: local.sqs,
        queueUrl,
        deadLetterQueueUrl: await local.queueUrl(local.local.deadLetterQueueName),
        destroy: () => local.destroy(),
      };
    } catch (error) {
      local.destroy();
      throw error;
    }
  }
  const file = values.outputs;
  const outputs = await readOutputs(file ? { file: userPath(file) } : { stack: values.stack! });
  const sqs = (io.awsSqs ?? ((region) => new SQSClient({ region })))(outputs.string("region"));
  return {
    sqs,
    queueUrl: outputs.string("queueUrl"),
    deadLetterQueueUrl: outputs.string("deadLetterQueueUrl"),
    arns: {
      queue: outputs.string("queueArn"),
      deadLetterQueue: outputs.string("deadLetterQueueArn"),
    },
    destroy: () => sqs.destroy(),
  };
}

export function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(SPEC, argv, linesOf(io), ({ values }) => {
    if (values.outputs !== undefined && values.endpoint !== undefined) {
      throw new UsageError("give only one of --outputs, --endpoint");
    }
    if (
      values.stack === undefined &&
      values.outputs === undefined &&
      values.endpoint === undefined
    ) {
      throw new UsageError("name the stack: --stack NAME, --outputs FILE or --endpoint URL");
    }
    return redrive(values, secondsOption(values.poll, "poll", 5) * 1000, io);
  });
}

async function redrive(values: Values, pollMs: number, io: CliIo): Promise<number> {
  const queues = await queuesOf(values, io);
  try {
    const waiting = await queueDepth(queues.sqs, queues.deadLetterQueueUrl);
    io.print(`${plural(waiting, "message")} in ${queues.deadLetterQueueUrl}`);
    if (values["dry-run"]) {
      io.print(`dry run: would move them to ${queues.queueUrl}`);
      return 0;
    }
    if (waiting === 0) return 0;
    const line = new ProgressLine(io.progress);

    if (queues.arns) {
      const handle = await startMoveTask(
        queues.sqs,
        queues.arns.deadLetterQueue,
        queues.arns.queue,
      );
      io.print(`message move task ${handle}`);
      const task = await followMoveTask(
        queues.sqs,
        queues.arns.deadLetterQueue,
        (task) =>
          line.show(
            `${task.Status} ${progressBar(task.ApproximateNumberOfMessagesMoved ?? 0, task.ApproximateNumberOfMessagesToMove ?? 0)}`,
          ),
        () => sleep(pollMs),
      );
      line.end();
      const reason = task.FailureReason ? ` (${task.FailureReason})` : "";
      io.print(
        `${task.Status}${reason}: moved ${plural(task.ApproximateNumberOfMessagesMoved ?? 0, "message")} to ${queues.queueUrl}`,
      );
      return task.Status === "COMPLETED" ? 0 : 1;
    }

    const moved = await moveMessages(queues.sqs, queues.deadLetterQueueUrl, queues.queueUrl, (n) =>
      line.show(`moving ${progressBar(n, Math.max(n, waiting))}`),
    );
    line.end();
    io.print(`moved ${plural(moved, "message")} to ${queues.queueUrl}`);
    return 0;
  } finally {
    queues.destroy();
  }
}
