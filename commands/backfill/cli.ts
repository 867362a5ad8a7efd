// `npm run backfill -- (--stack NAME | --outputs FILE | --endpoint URL)
//   (--missing | --stale | --all) [--prefix P] [--dry-run] [--concurrency N] [--poll S]`
import { linesOf, type CliIo as TerminalIo } from "../ops/run-cli";
import type { S3Client } from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { createS3Client } from "../../function/ranges/s3-client";
import {
  integerOption,
  runCommand,
  secondsOption,
  userPath,
  UsageError,
  type Parsed,
} from "../command";
import { sleep } from "../ops/args";
import { readOutputs } from "../ops/stack-outputs";
import { backfill, type BackfillDeps } from "./backfill";
import type { Selection } from "./selection";
import { batchTarget, localTarget } from "./target";

export const USAGE = `usage: npm run backfill -- TARGET SELECTION [--prefix P] [--dry-run] [--concurrency N] [--poll SECONDS]
  TARGET      --stack NAME      a deployed stack (reads \`pulumi stack output --json --stack NAME\`)
              --outputs FILE    the same JSON, saved in a file
              --endpoint URL    the local pipeline of \`npm start\` (with --stack NAME for its stack file, default dev)
  SELECTION   --missing         objects without a result
              --stale           objects without a result or whose result was made for another ETag,
                                by another ExifTool release or with other options
              --all             every object
  --prefix P       only keys under P (within the stack's filterPrefix)
  --dry-run        count and say what would be done; write and start nothing
  --concurrency N  result reads in flight at once for --missing/--stale (default 16)
  --poll SECONDS   how often to check progress (default 5)`;

/** The SDK clients for a deployed stack; tests pass their own. */
export interface AwsClients {
  s3: S3Client;
  s3control: S3ControlClient;
}

export interface CliIo extends TerminalIo {
  awsClients?: (region: string) => AwsClients;
}

const defaultAwsClients = (region: string): AwsClients => ({
  s3: createS3Client({ region }),
  s3control: new S3ControlClient({ region }),
});

const SPEC = {
  name: "npm run backfill",
  usage: USAGE,
  options: {
    stack: { type: "string" },
    outputs: { type: "string" },
    endpoint: { type: "string" },
    prefix: { type: "string" },
    concurrency: { type: "string" },
    poll: { type: "string" },
    missing: { type: "boolean" },
    stale: { type: "boolean" },
    all: { type: "boolean" },
    "dry-run": { type: "boolean" },
  },
} as const;

type Values = Parsed<typeof SPEC.options>["values"];

function selectionOf(values: Values): Selection {
  const chosen = (["missing", "stale", "all"] as const).filter((name) => values[name]);
  if (chosen.length !== 1) throw new UsageError("choose exactly one of --missing, --stale, --all");
  return chosen[0]!;
}

export function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(SPEC, argv, linesOf(io), async ({ values }) => {
    const targets = (["outputs", "endpoint"] as const).filter((name) => values[name] !== undefined);
    if (targets.length > 1) throw new UsageError("give only one of --outputs, --endpoint");
    if (targets.length === 0 && values.stack === undefined) {
      throw new UsageError("name the stack: --stack NAME, --outputs FILE or --endpoint URL");
    }
    const options = {
      values,
      selection: selectionOf(values),
      prefix: values.prefix,
      dryRun: values["dry-run"] === true,
      concurrency: integerOption(values.concurrency, "concurrency", 1, 1000, 16),
      pollMs: secondsOption(values.poll, "poll", 5) * 1000,
    };
    return backfillFrom(options, io);
  });
}

async function backfillFrom(
  options: {
    values: Values;
    selection: Selection;
    prefix?: string;
    dryRun: boolean;
    concurrency: number;
    pollMs: number;
  },
  io: CliIo,
): Promise<number> {
  const { values, pollMs, ...run } = options;
  const common = { print: io.print, progress: io.progress, wait: () => sleep(pollMs) };

  const endpoint = values.endpoint;
  if (endpoint !== undefined) {
    const { localStack } = await import("../ops/local-stack");
    const local = localStack(endpoint, values.stack ?? "dev");
    try {
      const queueUrl = await local.queueUrl(local.local.queueName);
      await local.checkServerStack(queueUrl);
      const deps: BackfillDeps = {
        ...common,
        s3: local.s3,
        target: localTarget(local.local, local.settings),
        runner: {
          kind: "queue",
          sqs: local.sqs,
          queueUrl,
          deadLetterQueueUrl: await local.queueUrl(local.local.deadLetterQueueName),
          region: local.local.region,
        },
      };
      return (await backfill(deps, run)).exitCode;
    } finally {
      local.destroy();
    }
  }

  const file = values.outputs;
  const outputs = await readOutputs(file ? { file: userPath(file) } : { stack: values.stack! });
  const target = batchTarget(outputs);
  const clients = (io.awsClients ?? defaultAwsClients)(target.region);
  try {
    const deps: BackfillDeps = {
      ...common,
      s3: clients.s3,
      target,
      runner: { kind: "batch", s3control: clients.s3control, target },
    };
    return (await backfill(deps, run)).exitCode;
  } finally {
    clients.s3.destroy();
    clients.s3control.destroy();
  }
}
