// `npm run check-config -- --stack NAME`: validates Pulumi.NAME.yaml as
// `pulumi preview` would (unknown keys, every value and their combinations),
// without the Pulumi engine, Docker or AWS, so in about a second instead of
// an arm64 image build. What needs AWS (existing buckets, their region) is
// left to preview.
import * as path from "node:path";
import { ConfigError } from "../infra/config";
import { StackFileError, stackFilePath, stackSettings } from "../infra/stack-file";

const USAGE = "usage: npm run check-config -- [--stack NAME]  (default stack: dev)";

interface Output {
  write(text: string): unknown;
}

/** Returns the exit code: 0 valid, 2 for a bad stack file or bad arguments. */
export function checkConfig(
  argv: string[],
  root: string,
  io: { stdout: Output; stderr: Output },
): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [flag, stack, ...rest] = argv;
  if (argv.length > 0 && (flag !== "--stack" || !stack || stack.startsWith("-") || rest.length)) {
    io.stderr.write(`check-config: unexpected arguments: ${argv.join(" ")}\n${USAGE}\n`);
    return 2;
  }
  const name = stack ?? "dev";
  try {
    stackSettings(root, name);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StackFileError) {
      io.stderr.write(`check-config: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  io.stdout.write(`${stackFilePath(root, name)}: valid\n`);
  return 0;
}

if (require.main === module) {
  process.exitCode = checkConfig(process.argv.slice(2), path.join(__dirname, ".."), {
    stdout: process.stdout,
    stderr: process.stderr,
  });
}
