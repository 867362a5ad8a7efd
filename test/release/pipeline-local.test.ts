// `npm run pipeline:local` for real: an export of HEAD without .git (what the
// pipeline's CODE_ZIP source artifact holds), the build stage's
// commands from release/buildspec-build.yml. `npm test` is skipped here because
// this test is part of `npm test` (docs/release-pipeline.md, "Local run").
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BUILDSPECS } from "../../infra/release/release-pipeline";
import { dockerUnavailable } from "../../scripts/docker-engine";
import { loadBuildspec, needsOf } from "../../scripts/release/buildspec";

const ROOT = path.join(__dirname, "..", "..");
const NESTED = "S3_EXIFTOOL_PIPELINE_LOCAL";

interface Run {
  code: number | null;
  out: string;
}

/** Runs commands/pipeline-local.ts of the checkout at `root` (this one by default). */
function runLocal(args: string[], env: NodeJS.ProcessEnv = {}, root = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(root, "commands", "pipeline-local.ts"), ...args],
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out }));
  });
}

/** A buildspec in `dir`, bash-run: `lines` follow `env: shell: bash` (variables may go on). */
function writeBuildspec(dir: string, lines: string[]): string {
  const file = path.join(dir, "buildspec.yml");
  writeFileSync(file, ["version: 0.2", "env:", "  shell: bash", ...lines, ""].join("\n"));
  return file;
}

describe("npm run pipeline:local", function () {
  this.timeout(240_000);

  it("runs the build stage's commands on an export of HEAD without .git, skipping what needs AWS or Docker", async () => {
    const commands = loadBuildspec(path.join(ROOT, BUILDSPECS.build)).commands;
    const docker = dockerUnavailable();
    // with an engine here, the arm64 image build would take many minutes: skip it by name
    const dockerSkips = docker
      ? []
      : commands.filter((c) => needsOf(c.command) === "docker").map((c) => c.command);
    const run = await runLocal([
      "--skip",
      "npm test",
      ...dockerSkips.flatMap((c) => ["--skip", c]),
      "--keep",
    ]);
    expect(run.code, run.out).to.equal(0);
    const kept = /pipeline:local: kept (\S+)/.exec(run.out)![1]!;
    try {
      // CodeBuild's checkout from CODE_ZIP has no git metadata: neither has this one
      expect(existsSync(path.join(kept, ".git"))).to.equal(false);
      const committed = spawnSync("git", ["show", "HEAD:package.json"], {
        cwd: ROOT,
        encoding: "utf8",
      });
      expect(readFileSync(path.join(kept, "package.json"), "utf8")).to.equal(committed.stdout);
      expect(existsSync(path.join(kept, "node_modules", "exiftool-vendored.pl"))).to.equal(true);
      // the tests' corpus is reachable from the clone as from the checkout
      expect(existsSync(path.join(kept, "..", "shared"))).to.equal(
        existsSync(path.join(ROOT, "..", "shared")),
      );
      // pre_build ran with the buildspec's APPLY_PINS=false
      expect(readFileSync(path.join(kept, "versions.txt"), "utf8")).to.equal(
        "Pins as committed: no version update in this run.\n",
      );
    } finally {
      rmSync(path.dirname(kept), { recursive: true, force: true });
    }
    expect(run.out).to.include("pipeline:local: RUN [install] npm ci");
    expect(run.out).to.include("pipeline:local: SKIPPED [build] npm test\n    (--skip)");
    for (const command of commands.filter((c) => needsOf(c.command) === "aws")) {
      expect(run.out).to.include(
        `SKIPPED [${command.phase}] ${command.command.split("\n").join("\n    ")}\n    (needs AWS`,
      );
    }
    const dockerStep = commands.find((c) => needsOf(c.command) === "docker")!;
    expect(run.out).to.include(
      `SKIPPED [build] ${dockerStep.command}\n    (${docker ? `needs Docker: ${docker}` : "--skip"})`,
    );
    const ran = commands.length - 1 - commands.filter((c) => needsOf(c.command)).length;
    expect(run.out).to.include(`passed: ${ran} commands ran, ${commands.length - ran} skipped`);
  });

  it("runs from a tree that is no git checkout (CodeBuild's), copying it without node_modules", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pipeline-local-nogit-"));
    try {
      const tree = path.join(dir, "s3-exiftool");
      const archive = spawnSync(
        "bash",
        ["-c", 'mkdir "$2" && git -C "$1" archive HEAD | tar -x -C "$2"', "-", ROOT, tree],
        { encoding: "utf8" },
      );
      expect(archive.status, archive.stderr).to.equal(0);
      symlinkSync(path.join(ROOT, "node_modules"), path.join(tree, "node_modules"));
      const buildspec = writeBuildspec(dir, [
        "phases:",
        "  build:",
        "    commands:",
        "      - test ! -e .git && test ! -e node_modules && test -f release/buildspec-build.yml",
      ]);
      const run = await runLocal(["--buildspec", buildspec], {}, tree);
      expect(run.code, run.out).to.equal(0);
      expect(run.out).to.include("on the working tree (no git checkout here");
      expect(run.out).to.include("passed: 1 command ran, 0 skipped");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a nested run that would start npm test, and so itself, again", async () => {
    const run = await runLocal([], { [NESTED]: "1" });
    expect(run.code).to.equal(2);
    expect(run.out).to.include('pass --skip "npm test"');
    expect(run.out).not.to.include("RUN");
  });

  it("stops at the first failing command and names its phase and command", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pipeline-local-test-"));
    try {
      const buildspec = writeBuildspec(dir, [
        "  variables:",
        "    GREETING: from the buildspec",
        "phases:",
        "  pre_build:",
        "    commands:",
        '      - echo "$GREETING in $(basename "$PWD")"',
        "  build:",
        "    commands:",
        "      - test -f package.json && exit 3",
        "      - echo never",
      ]);
      const run = await runLocal(["--buildspec", buildspec]);
      expect(run.code).to.equal(1);
      expect(run.out).to.include("from the buildspec in s3-exiftool");
      expect(run.out).to.include(
        "pipeline:local: FAILED in build (exit 3): test -f package.json && exit 3",
      );
      expect(run.out).not.to.include("never");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
