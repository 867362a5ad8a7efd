// Every converted command answers --help on stdout with exit 0, and a bad
// argument with exit 2 naming it (commands/command.ts decides both).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { expect } from "chai";

const ROOT = path.join(__dirname, "..", "..");

const COMMANDS: [file: string, bad: string][] = [
  ["backfill.ts", "--nosuch"],
  ["redrive.ts", "--nosuch"],
  ["extract.ts", "--nosuch"],
  ["check-config.ts", "--nosuch"],
  ["versions.ts", "--nosuch"],
  ["smoke-test.ts", "--nosuch"],
  ["pipeline-local.ts", "--nosuch"],
  ["start.ts", "--nosuch"],
];

const run = (file: string, arg: string) =>
  spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "commands", file), arg], {
    cwd: ROOT,
    encoding: "utf8",
  });

describe("the commands' shared conventions", function () {
  this.timeout(60_000);
  for (const [file, bad] of COMMANDS) {
    it(`${file}: --help on stdout with exit 0, ${bad} exits 2 naming it`, () => {
      const help = run(file, "--help");
      expect(help.status).to.equal(0, help.stderr);
      expect(help.stdout).to.match(/^usage: /);
      const wrong = run(file, bad);
      expect(wrong.status).to.equal(2, wrong.stderr);
      expect(wrong.stderr).to.include(bad);
      expect(wrong.stdout).to.equal("");
    });
  }
});
