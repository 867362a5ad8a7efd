// `npm run backfill -- (--stack NAME | --outputs FILE | --endpoint URL)
//   (--missing | --stale | --all) [--prefix P] [--dry-run] [--concurrency N] [--poll S]`
import type { CliIo as TerminalIo } from "../ops/run-cli";
import type { S3Client } from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { createS3Client } from "../../function/ranges/s3-client";
import { parseArgs, seconds, sleep, UsageError } from "../ops/args";
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

function selectionOf(flags: Set<string>): Selection {
  const chosen = (["missing", "stale", "all"] as const).filter((name) => flags.has(name));
  if (chosen.length !== 1) throw new UsageError("choose exactly one of --missing, --stale, --all");
  return chosen[0]!;
}

function positiveInteger(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new UsageError(`--${name} must be an integer from 1 to 1000, got "${text}"`);
  }
  return value;
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let options;
  try {
    const args = parseArgs(argv, {
      values: ["stack", "outputs", "endpoint", "prefix", "concurrency", "poll"],
      flags: ["missing", "stale", "all", "dry-run", "help"],
    });
    if (args.flags.has("help")) {
      io.error(USAGE);
      return 0;
    }
    const targets = ["outputs", "endpoint"].filter((name) => args.values.has(name));
    if (targets.length > 1) throw new UsageError("give only one of --outputs, --endpoint");
    if (targets.length === 0 && !args.values.has("stack")) {
      throw new UsageError("name the stack: --stack NAME, --outputs FILE or --endpoint URL");
    }
    options = {
      args,
      selection: selectionOf(args.flags),
      prefix: args.values.get("prefix"),
      dryRun: args.flags.has("dry-run"),
      concurrency: positiveInteger(args.values.get("concurrency"), "concurrency", 16),
      pollMs: seconds(args, "poll", 5) * 1000,
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.error(`npm run backfill: ${error.message}\n${USAGE}`);
    return 2;
  }
  const { args, pollMs, ...run } = options;
  const common = { print: io.print, progress: io.progress, wait: () => sleep(pollMs) };

  const endpoint = args.values.get("endpoint");
  if (endpoint !== undefined) {
    const { localStack } = await import("../ops/local-stack");
    const local = localStack(endpoint, args.values.get("stack") ?? "dev");
    try {
      const deps: BackfillDeps = {
        ...common,
        s3: local.s3,
        target: localTarget(local.local, local.settings),
        runner: {
          kind: "queue",
          sqs: local.sqs,
          queueUrl: await local.queueUrl(local.local.queueName),
          region: local.local.region,
        },
      };
      return (await backfill(deps, run)).exitCode;
    } finally {
      local.destroy();
    }
  }

  const file = args.values.get("outputs");
  const outputs = await readOutputs(file ? { file } : { stack: args.values.get("stack")! });
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
