// `npm run pipeline:local [-- --buildspec FILE] [--skip "COMMAND"]... [--keep]`:
// runs a buildspec's commands (by default the release pipeline's build stage)
// on an export of this repository's HEAD without `.git`, as CodeBuild gets it
// from the pipeline's CODE_ZIP source artifact, one bash per command with the
// buildspec's variables. A tree that is no git checkout (CodeBuild's own) is
// copied as it is, less node_modules and dist. Commands that need AWS never run
// here, and Docker ones only where a Docker engine answers; each skip is said.
//
// The build stage runs `npm test`, whose suite runs this script: nested runs
// must skip `npm test` (the test does), or this refuses to start.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { dockerUnavailable } from "../scripts/docker-engine";
import { loadBuildspec, needsOf, type Command } from "../scripts/release/buildspec";
import { runCommand, runFromTerminal, terminal, UsageError, userPath } from "./command";
import { plural } from "./plural";

const ROOT = path.join(__dirname, "..");
const DEFAULT_BUILDSPEC = "release/buildspec-build.yml";
const NESTED = "S3_EXIFTOOL_PIPELINE_LOCAL";

function git(args: string[], cwd: string): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Left out of a copy of a tree that is no git checkout: installed or built, never sources. */
const NOT_SOURCES = new Set(["node_modules", "dist", ".git"]);

/**
 * Lays the sources out in `work` without `.git`, and says what they are:
 * HEAD's files (`git archive`) in a git checkout, else the tree as it is.
 */
function exportSources(work: string): string {
  mkdirSync(work);
  if (!existsSync(path.join(ROOT, ".git"))) {
    cpSync(ROOT, work, {
      recursive: true,
      filter: (source) => !NOT_SOURCES.has(path.relative(ROOT, source).split(path.sep)[0]!),
    });
    return "the working tree (no git checkout here: a copy, without node_modules and dist)";
  }
  const head = git(["rev-parse", "HEAD"], ROOT);
  if (git(["status", "--porcelain", "--untracked-files=no"], ROOT) !== "") {
    console.log("pipeline:local: note: uncommitted changes are not in the export (it is of HEAD)");
  }
  const archive = spawnSync(
    "bash",
    ["-c", 'git -C "$1" archive HEAD | tar -x -C "$2"', "-", ROOT, work],
    {
      encoding: "utf8",
    },
  );
  if (archive.status !== 0) throw new Error(`git archive HEAD failed: ${archive.stderr.trim()}`);
  return `${head.slice(0, 12)} (git archive HEAD, without .git)`;
}

const SPEC = {
  name: "npm run pipeline:local",
  usage: `usage: npm run pipeline:local -- [--buildspec FILE] [--skip "COMMAND"]... [--keep]
  --buildspec FILE  the buildspec to run, as committed (default: ${DEFAULT_BUILDSPEC})
  --skip COMMAND    leave out this command of the buildspec (repeatable)
  --keep            keep the export afterwards and print where it is`,
  options: {
    buildspec: { type: "string", default: DEFAULT_BUILDSPEC },
    skip: { type: "string", multiple: true },
    keep: { type: "boolean", default: false },
  },
} as const;

interface Values {
  buildspec?: string;
  skip?: string[];
  keep?: boolean;
}

function main(values: Values): number {
  const skip = new Set(values.skip ?? []);
  // a path from where the user ran npm; one of this repository's is read from
  // the export, as committed, as CodeBuild reads it from its checkout
  const given = userPath(values.buildspec!);
  if (!existsSync(given)) throw new UsageError(`--buildspec ${values.buildspec}: no such file`);
  const inRepository = path.relative(ROOT, given);
  const buildspec = inRepository.startsWith("..") ? given : inRepository;
  if (process.env[NESTED] && !skip.has("npm test")) {
    throw new UsageError(
      'already inside a local pipeline run; pass --skip "npm test" or the run would start itself again',
    );
  }

  // <temp>/s3-exiftool beside <temp>/shared, as the checkout sits beside shared/
  const base = mkdtempSync(path.join(tmpdir(), "s3-exiftool-pipeline-"));
  const work = path.join(base, "s3-exiftool");
  try {
    const shared = path.join(ROOT, "..", "shared");
    if (existsSync(shared)) symlinkSync(shared, path.join(base, "shared"));
    const sources = exportSources(work);
    const spec = loadBuildspec(path.resolve(work, buildspec));
    console.log(`pipeline:local: ${buildspec} on ${sources} in ${work}`);
    for (const [runtime, version] of Object.entries(spec.runtimeVersions)) {
      console.log(
        `pipeline:local: runtime-versions ${runtime} ${version}: using this machine's (${process.version})`,
      );
    }

    const docker = dockerUnavailable();
    const env = {
      ...process.env,
      ...spec.variables,
      [NESTED]: "1",
      // the export installs what this checkout already has in npm's cache
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
    };
    const counts = { ran: 0, skipped: 0 };
    const skipReason = (command: Command): string | undefined => {
      if (skip.has(command.command)) return "--skip";
      const need = needsOf(command.command);
      if (need === "aws")
        return "needs AWS (credentials and the stack's resources): runs in CodeBuild only";
      if (need === "docker" && docker) return `needs Docker: ${docker}`;
      return undefined;
    };
    for (const command of spec.commands) {
      const label = `[${command.phase}] ${command.command.split("\n").join("\n    ")}`;
      const reason = skipReason(command);
      if (reason) {
        console.log(`pipeline:local: SKIPPED ${label}\n    (${reason})`);
        counts.skipped += 1;
        continue;
      }
      console.log(`pipeline:local: RUN ${label}`);
      const result = spawnSync("bash", ["-c", command.command], {
        cwd: work,
        env,
        stdio: "inherit",
      });
      if (result.status !== 0) {
        console.error(
          `pipeline:local: FAILED in ${command.phase} (${result.signal ?? `exit ${result.status}`}): ${command.command}`,
        );
        return 1;
      }
      counts.ran += 1;
    }
    console.log(
      `pipeline:local: passed: ${plural(counts.ran, "command")} ran, ${counts.skipped} skipped`,
    );
    return 0;
  } finally {
    if (values.keep) console.log(`pipeline:local: kept ${work}`);
    else rmSync(base, { recursive: true, force: true });
  }
}

runFromTerminal((argv) => runCommand(SPEC, argv, terminal, ({ values }) => main(values)));
