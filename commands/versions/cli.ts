// `npm run versions [-- --write] [--stack dev] [--node-major N]`: prints the
// pins against the latest available and, with --write, applies the ones that
// moved. Everything it touches is injected so tests run it in a temp folder.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makePlan, partialRows } from "./plan";
import { readPins, stackFileName, type Pins } from "./pins";
import {
  lockedSdkVersion,
  pinProblem,
  publishedSha256,
  PULUMI_CLI_PIN,
  readPulumiCliPin,
  tarballName,
  writePulumiCliPin,
} from "./pulumi-cli";
import { fetchLatest, sourceConfigFromEnv, SourcesError } from "./sources";
import { formatTable } from "./table";
import { applyUpdate, dependencyVersion, type RunNpm } from "./write";

export interface CliDeps {
  root: string;
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  runNpm: RunNpm;
}

/** `--check` exit code when a pin moved; 0 means every pin is current, 1 a failure. */
export const PINS_MOVED = 3;

const USAGE = `usage: npm run versions [-- [--write | --check] [--stack <name>] [--node-major <n>]]
       npm run versions -- --pulumi-cli [--write | --check]

  Prints each version pin in Pulumi.<stack>.yaml against the latest available.
  --write           apply the pins that moved (and package.json/lockfile for ExifTool)
  --check           write nothing; exit ${PINS_MOVED} when a pin moved, 0 when every pin is current
  --stack <name>    stack whose config holds the pins (default: dev)
  --node-major <n>  move the Lambda base image to another Node.js major
  --pulumi-cli      instead: the deploy stage's Pulumi CLI pin (${PULUMI_CLI_PIN}) against
                    the @pulumi/pulumi version in package-lock.json; --write records that
                    release's linux-arm64 SHA-256 from its published checksums file

  Base URLs: VERSIONS_NPM_REGISTRY, VERSIONS_EXIFTOOL_ORG, VERSIONS_METACPAN,
  VERSIONS_ECR_PUBLIC, VERSIONS_PULUMI_RELEASES; per-request timeout:
  VERSIONS_TIMEOUT_MS (default 10000).`;

interface Options {
  write: boolean;
  check: boolean;
  stack: string;
  nodeMajor?: number;
  pulumiCli: boolean;
}

function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      write: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      stack: { type: "string", default: "dev" },
      "node-major": { type: "string" },
      "pulumi-cli": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  if (values.write && values.check) throw new TypeError("--write and --check exclude each other");
  const major = values["node-major"];
  if (values["pulumi-cli"] && major !== undefined) {
    throw new TypeError("--node-major does not apply to --pulumi-cli");
  }
  if (major !== undefined && !/^\d+$/.test(major)) {
    throw new TypeError(`--node-major must be a number, not ${JSON.stringify(major)}`);
  }
  return {
    write: values.write === true,
    check: values.check === true,
    stack: values.stack ?? "dev",
    nodeMajor: major === undefined ? undefined : Number(major),
    pulumiCli: values["pulumi-cli"] === true,
  };
}

function describeChanges(changes: Partial<Pins>, pins: Pins): string[] {
  return Object.entries(changes).map(
    ([key, value]) => `  ${key}: ${String(pins[key as keyof Pins])} -> ${String(value)}`,
  );
}

export async function main(argv: string[], deps: CliDeps): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(argv);
  } catch (error) {
    deps.err(`versions: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options === "help") {
    deps.out(USAGE);
    return 0;
  }
  if (options.pulumiCli) return pulumiCli(options, deps);

  let pins: Pins | undefined;
  try {
    const stackFile = join(deps.root, stackFileName(options.stack));
    if (!existsSync(stackFile)) {
      throw new Error(`${stackFile} not found: the pins live in the stack config (see --stack)`);
    }
    pins = readPins(readFileSync(stackFile, "utf8"), stackFile);
    const packageJsonVersion = dependencyVersion(
      readFileSync(join(deps.root, "package.json"), "utf8"),
    );

    const latest = await fetchLatest(
      sourceConfigFromEnv(deps.env),
      options.nodeMajor ?? pins.nodeMajor,
    );
    const plan = makePlan(pins, latest, packageJsonVersion, options.nodeMajor);

    deps.out(formatTable(plan.rows));
    deps.out("");
    for (const note of plan.notes) deps.out(`note: ${note}`);

    const moved = Object.keys(plan.changes).length > 0 || plan.npmVersion !== undefined;
    if (!moved) {
      deps.out("\nEvery pin is current.");
      return 0;
    }
    if (options.check) {
      deps.out("\nA pin moved: `npm run versions -- --write` applies it.");
      return PINS_MOVED;
    }
    if (!options.write) {
      deps.out("\nRun `npm run versions -- --write` to apply the updates.");
      return 0;
    }
    await applyUpdate({
      root: deps.root,
      stackFile,
      changes: plan.changes,
      npmVersion: plan.npmVersion,
      runNpm: deps.runNpm,
    });
    deps.out(`\nUpdated ${stackFileName(options.stack)}:`);
    for (const line of describeChanges(plan.changes, pins)) deps.out(line);
    if (plan.npmVersion !== undefined) {
      deps.out(
        `Installed exiftool-vendored.pl@${plan.npmVersion} (package.json, package-lock.json).`,
      );
    }
    deps.out("The next `pulumi up` rebuilds the image.");
    return 0;
  } catch (error) {
    // source failures, bad pins and a failed npm install all end here, and
    // by now every file is as it was before the run
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof SourcesError && pins) {
      // offline or a source down: still show what is pinned
      deps.out(formatTable(partialRows(pins, error.answered)));
      deps.out("");
    }
    deps.err(`versions: ${message}\nNothing was written.`);
    return 1;
  }
}

/** `--pulumi-cli`: the deploy stage's CLI pin against the SDK the lockfile installs. */
async function pulumiCli(options: Options, deps: CliDeps): Promise<number> {
  try {
    const pin = readPulumiCliPin(deps.root);
    const sdk = lockedSdkVersion(deps.root);
    deps.out(
      `Pulumi CLI ${pin.version} (${tarballName(pin.version)}: ${pin.linuxArm64Sha256 || "no SHA-256"}); @pulumi/pulumi in package-lock.json: ${sdk}`,
    );
    const problem = pinProblem(pin, sdk);
    if (problem === undefined) {
      deps.out("The Pulumi CLI pin is current.");
      return 0;
    }
    if (!options.write) {
      deps.out(problem);
      return options.check ? PINS_MOVED : 0;
    }
    const config = sourceConfigFromEnv(deps.env);
    const sha256 = await publishedSha256(config.pulumiReleases, sdk, config.timeoutMs);
    writePulumiCliPin(deps.root, { version: sdk, linuxArm64Sha256: sha256 });
    deps.out(`Updated ${PULUMI_CLI_PIN}: ${tarballName(sdk)} ${sha256}`);
    deps.out("Review it against the release page before you commit it.");
    return 0;
  } catch (error) {
    deps.err(
      `versions: ${error instanceof Error ? error.message : String(error)}\nNothing was written.`,
    );
    return 1;
  }
}
