// The workflows cannot run here; this checks what can go wrong without
// running them: they parse, they call only npm scripts that exist, their
// actions are pinned, and they run on the right triggers and runner.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";

const ROOT = join(__dirname, "..", "..");
const scripts = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

interface Step {
  uses?: string;
  run?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, { "runs-on": string; permissions?: Record<string, string>; steps: Step[] }>;
}

function load(name: string): Workflow {
  const doc = parseDocument(readFileSync(join(ROOT, ".github", "workflows", name), "utf8"));
  expect(
    doc.errors.map((e) => e.message),
    `${name} parses`,
  ).to.deep.equal([]);
  return doc.toJS() as Workflow;
}

function steps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps);
}

/** Every script an `npm run [flags] <name>` or `npm test` line would start. */
function npmScripts(workflow: Workflow): string[] {
  const names: string[] = [];
  for (const step of steps(workflow)) {
    for (const match of (step.run ?? "").matchAll(
      /\bnpm\s+(?:run(?:-script)?\s+(?:--?\S+\s+)*(\S+)|(test|start)\b)/g,
    )) {
      names.push((match[1] ?? match[2])!);
    }
  }
  return names;
}

const WORKFLOWS = ["versions.yml", "image.yml"];

describe("GitHub workflows", () => {
  for (const name of WORKFLOWS) {
    it(`${name}: parses, calls only existing npm scripts, pins actions by commit`, () => {
      const workflow = load(name);
      const called = npmScripts(workflow);
      expect(called).to.not.be.empty;
      for (const script of called)
        expect(scripts, `${name} runs npm script "${script}"`).to.have.property(script);
      for (const step of steps(workflow).filter((s) => s.uses)) {
        expect(step.uses, "pinned to a full commit SHA").to.match(
          /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/,
        );
      }
      // least privilege: read-only by default, write only where a job needs it
      expect(workflow.permissions).to.deep.equal({ contents: "read" });
    });
  }

  it("versions.yml runs weekly, applies the pins, tests, then opens a pull request", () => {
    const workflow = load("versions.yml");
    const schedule = workflow.on["schedule"] as { cron: string }[];
    expect(schedule[0]!.cron.split(" ")).to.have.length(5);
    expect(schedule[0]!.cron.split(" ")[4]).to.match(/^[0-6]$/);
    expect(workflow.on).to.have.property("workflow_dispatch");
    const runs = steps(workflow).map((step) => step.run ?? "");
    const write = runs.findIndex((run) => /npm run (--silent )?versions -- --write/.test(run));
    const cli = runs.findIndex((run) => run.includes("versions -- --pulumi-cli --write"));
    const test = runs.findIndex((run) => /^npm test$/m.test(run));
    const pr = runs.findIndex((run) => run.includes("gh pr create"));
    expect(write).to.be.greaterThan(-1);
    // the deploy stage's CLI pin goes into the same pull request, tested
    expect(cli).to.be.greaterThan(write);
    expect(test).to.be.greaterThan(cli);
    expect(pr).to.be.greaterThan(test);
    expect(workflow.jobs["bump"]!.permissions).to.deep.equal({
      contents: "write",
      "pull-requests": "write",
    });
  });

  it("image.yml builds on an arm64 runner when the Dockerfile, pins or function change", () => {
    const workflow = load("image.yml");
    expect(workflow.jobs["image"]!["runs-on"]).to.match(/arm/);
    for (const trigger of ["push", "pull_request"]) {
      const paths = (workflow.on[trigger] as { paths: string[] }).paths;
      expect(paths).to.include.members([
        "Dockerfile",
        "Pulumi.*.yaml",
        "package.json",
        "package-lock.json",
        "function/**",
      ]);
    }
    expect(npmScripts(workflow)).to.include.members(["build", "test:image"]);
  });
});
