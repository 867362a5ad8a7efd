// The buildspecs cannot run here as CodeBuild runs them; this checks what can
// go wrong without AWS: they parse as CodeBuild reads them, every npm script
// they call exists, and each stage does what docs/release-pipeline.md says.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUILDSPECS } from "../../infra/release/release-pipeline";
import { PINS_MOVED } from "../../commands/versions/cli";
import {
  loadBuildspec,
  needsOf,
  npmScriptsCalled,
  parseBuildspec,
  type Buildspec,
} from "../../scripts/release/buildspec";

const ROOT = join(__dirname, "..", "..");
const scripts = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;

const load = (file: string): Buildspec => loadBuildspec(join(ROOT, file));
const commands = (spec: Buildspec): string[] => spec.commands.map((c) => c.command);
const indexOf = (spec: Buildspec, pattern: RegExp): number =>
  commands(spec).findIndex((command) => pattern.test(command));

describe("release buildspecs", () => {
  for (const [stage, file] of Object.entries(BUILDSPECS)) {
    it(`${stage} (${file}) parses and calls only npm scripts that exist`, () => {
      const spec = load(file);
      expect(spec.commands).not.to.be.empty;
      const called = spec.commands.flatMap((c) => npmScriptsCalled(c.command));
      expect(called.length).to.be.greaterThan(0);
      // any other npm command would be a typo for a script or a step outside the lockfile
      for (const { command } of spec.commands) {
        for (const [, sub] of command.matchAll(/\bnpm\s+(\S+)/g)) {
          expect(["ci", "run", "test"], command).to.include(sub);
        }
      }
      for (const script of called) {
        expect(scripts, `${file} runs npm script "${script}"`).to.have.property(script);
      }
      expect(commands(spec)).to.include("npm ci");
      expect(spec.runtimeVersions).to.deep.equal({ nodejs: "22" });
    });
  }

  it("finds the scripts in every form a command calls them", () => {
    expect(npmScriptsCalled("npm test")).to.deep.equal(["test"]);
    expect(npmScriptsCalled('npm run --silent versions -- --write --stack "$STACK"')).to.deep.equal(
      ["versions"],
    );
    expect(npmScriptsCalled("X=1 npm run test:image -- --stack dev; npm run build")).to.deep.equal([
      "test:image",
      "build",
    ]);
    expect(npmScriptsCalled("npm ci")).to.deep.equal([]);
  });

  it("refuses a buildspec CodeBuild would run differently, naming the problem", () => {
    expect(() => parseBuildspec("version: 0.1\n", "b.yml")).to.throw("b.yml: version must be 0.2");
    expect(() => parseBuildspec("version: 0.2\n", "b.yml")).to.throw("env.shell must be bash");
    expect(() =>
      parseBuildspec(
        "version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n      - echo a: b\n",
        "b.yml",
      ),
    ).to.throw(/YAML reads as \{"echo a":"b"\}, not a string \(quote it\)/);
    expect(() => parseBuildspec("version: [0.2\n", "b.yml")).to.throw(/^b\.yml: /);
  });

  it("build: installs, applies pins only when asked, tests, runs the image, pushes it", () => {
    const spec = load(BUILDSPECS.build);
    expect(spec.variables).to.include({ APPLY_PINS: "false" });
    const write = indexOf(spec, /APPLY_PINS" = "true".*\n.*npm run --silent versions -- --write/);
    const test = indexOf(spec, /^npm test$/);
    const image = indexOf(spec, /npm run test:image/);
    const push = indexOf(spec, /^docker push /);
    expect(write).to.be.greaterThan(0);
    expect(test).to.be.greaterThan(write);
    expect(image).to.be.greaterThan(test);
    expect(push).to.be.greaterThan(image);
    // the image pushed is the one test:image ran
    const tag = /TEST_IMAGE_TAG="([^"]+)"/.exec(commands(spec)[image]!)![1];
    expect(commands(spec)[push]).to.equal(`docker push "${tag}"`);
    expect(spec.commands[test]!.phase).to.equal("build");
    expect(spec.artifacts).to.deep.equal(["**/*"]);
  });

  it("build: provides the tests' sample files where CodeBuild has none, pinned by commit", () => {
    const spec = load(BUILDSPECS.build);
    const fetch = commands(spec).find((c) => c.includes("t/images"))!;
    expect(fetch).to.match(/^if \[ ! -d \.\.\/shared\/corpus\/exiftool-samples \]; then\n/);
    expect(fetch).to.include('fetch --quiet --depth 1 origin "$EXIFTOOL_SAMPLES_COMMIT"');
    const corpusReadme = join(ROOT, "..", "shared", "corpus", "README.md");
    expect(spec.variables.EXIFTOOL_SAMPLES_COMMIT).to.match(/^[0-9a-f]{40}$/);
    // the same commit as the corpus this suite reads
    expect(readFileSync(corpusReadme, "utf8")).to.include(spec.variables.EXIFTOOL_SAMPLES_COMMIT!);
    expect(indexOf(spec, /t\/images/)).to.be.lessThan(indexOf(spec, /^npm test$/));
  });

  it("deploy: pulumi up on the target stack, then the smoke test on its outputs", () => {
    const spec = load(BUILDSPECS.deploy);
    const up = indexOf(spec, /^pulumi up --stack "\$PULUMI_STACK" --yes --non-interactive/);
    const smoke = indexOf(spec, /^npm run smoke-test -- /);
    expect(indexOf(spec, /^pulumi login "\$PULUMI_BACKEND_URL"$/)).to.be.lessThan(up);
    expect(up).to.be.greaterThan(0);
    expect(smoke).to.be.greaterThan(up);
    expect(commands(spec)[smoke]).to.include("uploadBucketName").and.include("resultsLocation");
  });

  it("version check: starts the pipeline with APPLY_PINS=true only when a pin moved", () => {
    const [check] = commands(load(BUILDSPECS.versionCheck)).filter((c) => c.includes("--check"));
    expect(check).to.include('npm run --silent versions -- --check --stack "$STACK"');
    const moved = new RegExp(
      `"\\$status" = ${PINS_MOVED} \\]; then\\n\\s+execution=\\$\\(aws codepipeline start-pipeline-execution --name "\\$PIPELINE_NAME" --variables name=APPLY_PINS,value=true`,
    );
    expect(check).to.match(moved);
    expect(check).to.match(
      /"\$status" = 0 \]; then\n\s+echo "Every pin is current: no release run."/,
    );
    // any other exit code (a failed look-up) fails the job
    expect(check).to.match(/else\n\s+exit "\$status"/);
  });

  it("says which commands need AWS or Docker, so a local run can skip them", () => {
    const needs = commands(load(BUILDSPECS.build)).map(needsOf);
    expect(needs).to.deep.equal([
      undefined,
      undefined,
      undefined,
      undefined,
      "aws",
      undefined,
      "docker",
      "aws",
      "aws",
    ]);
    expect(needsOf("npm run versions")).to.equal(undefined);
    expect(needsOf("docker buildx build .")).to.equal("docker");
    expect(needsOf('echo "$(aws sts get-caller-identity)"')).to.equal("aws");
  });
});
