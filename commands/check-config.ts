// `npm run check-config -- --stack NAME`: validates Pulumi.NAME.yaml as
// `pulumi preview` would (unknown keys, every value and their combinations),
// without the Pulumi engine, Docker or AWS, so in about a second instead of
// an arm64 image build. What needs AWS (existing buckets, their region) is
// left to preview. Every mistake is named in one run, and keys Pulumi would
// not hand this project (no namespace, a typo in the aws: namespace) are
// warned about.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS, ConfigError, parseSettings, PROJECT } from "../infra/config";
import { packageExiftoolVersion } from "../infra/package-pins";
import { readStackConfig, StackFileError, stackFilePath } from "../infra/stack-file";
import { checkKnownKeys, closestKey } from "../infra/unknown-keys";
import { runCommand, runFromTerminal, terminal, UsageError, type CommandIo } from "./command";

const SPEC = {
  name: "npm run check-config",
  usage: "usage: npm run check-config -- [--stack NAME]  (default stack: dev)",
  options: { stack: { type: "string", default: "dev" } },
} as const;

/** The aws provider's config keys, as @pulumi/aws declares them. */
function awsKeys(): string[] {
  const declarations = readFileSync(require.resolve("@pulumi/aws/config/vars.d.ts"), "utf8");
  return [...declarations.matchAll(/export declare const (\w+)/g)].map((match) => match[1]!);
}

/** Keys Pulumi would not hand this project, or no provider of it reads. */
export function configWarnings(keys: string[]): string[] {
  const aws = awsKeys();
  return keys.flatMap((key) => {
    const [namespace, name] = key.includes(":") ? key.split(/:(.*)/s) : ["", key];
    if (namespace === "") {
      return [
        `${key} has no namespace, so this project does not read it; did you mean ${PROJECT}:${closestKey(key, CONFIG_KEYS)}?`,
      ];
    }
    if (namespace === PROJECT || namespace === "pulumi") return [];
    if (namespace === "aws") {
      return aws.includes(name!)
        ? []
        : [
            `${key} is not a setting of the aws provider; did you mean aws:${closestKey(name!, aws)}?`,
          ];
    }
    return [`${key}: no provider of this project reads the "${namespace}:" namespace`];
  });
}

/** Every mistake in the stack's config, each named once. */
export function configMistakes(root: string, stack: string): string[] {
  const config = readStackConfig(root, stack);
  const mistakes: string[] = [];
  try {
    checkKnownKeys(Object.keys(config), CONFIG_KEYS, stackFilePath(root, stack));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    mistakes.push(error.message);
  }
  // parseSettings stops at the first bad key: set it aside (its default
  // stands in) and read again, until the rest passes
  const left = new Map(Object.entries(config));
  const context = { exiftoolPackageVersion: packageExiftoolVersion(root) };
  for (;;) {
    try {
      parseSettings((key) => left.get(`${PROJECT}:${key}`), context);
      return mistakes;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      mistakes.push(error.message);
      const key = `${PROJECT}:${error.key}`;
      if (!left.delete(key)) return mistakes;
    }
  }
}

/** Returns the exit code: 0 valid, 2 for a bad stack file or bad arguments. */
export function checkConfig(argv: string[], root: string, io: CommandIo): Promise<number> {
  return runCommand(SPEC, argv, io, ({ values }) => {
    const stack = values.stack!;
    let mistakes: string[];
    try {
      for (const warning of configWarnings(Object.keys(readStackConfig(root, stack)))) {
        io.err(`${SPEC.name}: warning: ${warning}\n`);
      }
      mistakes = configMistakes(root, stack);
    } catch (error) {
      if (error instanceof StackFileError) throw new UsageError(error.message);
      throw error;
    }
    for (const mistake of mistakes) io.err(`${SPEC.name}: ${mistake}\n`);
    if (mistakes.length > 0) {
      io.err(
        `${SPEC.name}: ${mistakes.length} ${mistakes.length === 1 ? "mistake" : "mistakes"} in ${stackFilePath(root, stack)}\n`,
      );
      return 2;
    }
    io.out(`${stackFilePath(root, stack)}: valid\n`);
    return 0;
  });
}

if (require.main === module) {
  runFromTerminal((argv) => checkConfig(argv, path.join(__dirname, ".."), terminal));
}
