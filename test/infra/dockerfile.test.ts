// The Dockerfile, read as a build would read it: stages, args and copies are
// checked against the program's build args and the files `npm run build`
// leaves behind, without Docker.
import { expect } from "chai";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULTS } from "../../infra/config";
import { imageBuildArgs, PLATFORM } from "../../infra/image";
import { stackSettings } from "../../infra/stack-file";
import { ROOT } from "./stack-config";

const dockerfile = DockerfileParser.parse(readFileSync(path.join(ROOT, "Dockerfile"), "utf8"));

interface Stage {
  name: string;
  /** The FROM argument, unexpanded. */
  from: string;
  instructions: Instruction[];
}

const stages: Stage[] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === "FROM") {
    const [image, as, name] = instruction.getArguments().map((a) => a.getValue());
    expect(as?.toUpperCase(), "every stage is named").to.equal("AS");
    stages.push({ name, from: image, instructions: [] });
  } else if (stages.length > 0) {
    stages[stages.length - 1].instructions.push(instruction);
  }
}
const stage = (name: string): Stage => {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const finalStage = stages[stages.length - 1];

function devArgs(overrides: Record<string, string> = {}): Record<string, string> {
  return imageBuildArgs(stackSettings(ROOT, "dev", overrides));
}

const expand = (text: string, args: Record<string, string>): string =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string, bare: string) => {
    const name = braced ?? bare;
    if (!(name in args)) throw new Error(`build arg ${name} is not passed`);
    return args[name];
  });

/** The stages whose filesystem ends up in the image, final first. */
function imageChain(args: Record<string, string>): Stage[] {
  const chain: Stage[] = [];
  let current: Stage | undefined = finalStage;
  while (current) {
    chain.push(current);
    const parent = expand(current.from, args);
    current = stages.find((s) => s.name === parent);
  }
  return chain;
}

const runs = (s: Stage): string[] =>
  s.instructions.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent() ?? "");
type Flagged = { getFlags?: () => { getName(): string; getValue(): string | null }[] };
const flag = (instruction: Instruction, name: string): string | null | undefined =>
  (instruction as unknown as Flagged)
    .getFlags?.()
    .find((f) => f.getName() === name)
    ?.getValue();
const copiesFromContext = (s: Stage) =>
  s.instructions.filter((i) => i.getKeyword() === "COPY" && flag(i, "from") === undefined);

describe("Dockerfile", () => {
  it("names no frontend image, which every fresh build would pull from Docker Hub", () => {
    expect(dockerfile.getDirectives().map((d) => d.getName())).to.deep.equal([]);
    // the engine's built-in frontend reads every flag used: --checksum since
    // Dockerfile 1.6 (Docker Engine 25), as the Dockerfile's header says
    const flags = dockerfile
      .getInstructions()
      .flatMap((i) => ((i as unknown as Flagged).getFlags?.() ?? []).map((f) => f.getName()));
    expect([...new Set(flags)].sort()).to.deep.equal(["checksum", "from"]);
  });

  it("starts from the AWS Lambda Node.js base image, pinned by digest", () => {
    const base = dockerfile.getFROMs()[0];
    expect(base.getRegistry()).to.equal("public.ecr.aws");
    expect(base.getImageName()).to.equal("lambda/nodejs");
    expect(base.getImageTag()).to.equal("${NODE_MAJOR}");
    expect(base.getImageDigest()).to.equal("${BASE_IMAGE_DIGEST}");
    expect(base.getPlatformFlag()).to.equal(null);
    const args = devArgs();
    expect(expand(base.getImage()!, args)).to.match(
      /^public\.ecr\.aws\/lambda\/nodejs:24@sha256:[0-9a-f]{64}$/,
    );
    // The program builds for arm64; the digest is the arm64 image's.
    expect(PLATFORM).to.equal("linux/arm64");
  });

  it("derives every stage from that base image, for either Perl source", () => {
    for (const perlSource of ["system", "source"]) {
      const args = devArgs({ perlSource });
      const external = stages.filter((s) => !stages.some((o) => o.name === expand(s.from, args)));
      expect(external.map((s) => s.name)).to.deep.equal(["base"]);
      const chain = imageChain(devArgs({ perlSource }));
      expect(chain.map((s) => s.name)).to.deep.equal(["function", `perl-${perlSource}`, "base"]);
    }
  });

  it("takes exactly the build args the program passes, with matching defaults", () => {
    const declared = new Map<string, string | null>();
    for (const arg of dockerfile.getARGs()) {
      const property = arg.getProperty()!;
      if (!declared.has(property.getName()) || property.getValue() !== null) {
        declared.set(property.getName(), property.getValue());
      }
    }
    const passed = Object.keys(devArgs({ perlSource: "source" }));
    expect([...declared.keys()]).to.include.members(passed);
    // Not passed: only the Archive::Zip pin, which lives in the Dockerfile.
    const notPassed = [...declared.keys()].filter((name) => !passed.includes(name));
    expect(notPassed).to.deep.equal(["ARCHIVE_ZIP_VERSION", "ARCHIVE_ZIP_SHA256"]);
    for (const name of notPassed) expect(declared.get(name), name).to.be.a("string");
    expect(declared.get("NODE_MAJOR")).to.equal(DEFAULTS.nodeMajor);
    expect(declared.get("PERL_SOURCE")).to.equal(DEFAULTS.perlSource);
  });

  it("gets every arg its image stages use, for either Perl source", () => {
    for (const perlSource of ["system", "source"]) {
      const args = devArgs({ perlSource });
      const withDefaults = Object.fromEntries(
        dockerfile
          .getARGs()
          .map((a) => a.getProperty()!)
          .filter((p) => p.getValue() !== null)
          .map((p) => [p.getName(), p.getValue()!]),
      );
      const available = { ...withDefaults, ...args, LAMBDA_TASK_ROOT: "/var/task" };
      const used = stage(perlSource === "source" ? "perl-builder" : "perl-system");
      for (const s of [...imageChain(args), used]) {
        for (const instruction of s.instructions) {
          if (["RUN", "ENV"].includes(instruction.getKeyword())) continue; // shell/env variables
          expect(() => expand(instruction.getArgumentsContent() ?? "", available)).not.to.throw();
          for (const f of ["checksum"]) {
            const value = flag(instruction, f);
            if (value) expect(() => expand(value, available)).not.to.throw();
          }
        }
      }
    }
  });

  it("verifies the Perl and Archive::Zip tarballs' SHA-256 before extracting them", () => {
    const builder = stage("perl-builder");
    const adds = builder.instructions.filter((i) => i.getKeyword() === "ADD");
    expect(adds).to.have.length(2);
    for (const add of adds) {
      const [url, target] = add.getArguments().map((a) => a.getValue());
      expect(url).to.match(/^https:\/\//);
      const checksum = flag(add, "checksum");
      expect(checksum, url).to.match(/^sha256:\$\{\w+_SHA256\}$/);
      // The first RUN that touches the downloaded file comes after the ADD.
      const addAt = builder.instructions.indexOf(add);
      const firstUse = builder.instructions.findIndex(
        (i) => i.getKeyword() === "RUN" && (i.getArgumentsContent() ?? "").includes(target),
      );
      expect(firstUse, target).to.be.greaterThan(addAt);
    }
    expect(flag(adds[0], "checksum")).to.equal("sha256:${PERL_SHA256}");
    expect(adds[0].getArguments()[0].getValue()).to.include("perl-${PERL_VERSION}.tar.gz");
    // No download that bypasses the checksum.
    for (const s of stages) {
      for (const run of runs(s)) expect(run).not.to.match(/\b(curl|wget)\b/);
    }
  });

  it("leaves compilers, build tools, sources and package caches out of the final image", () => {
    for (const perlSource of ["system", "source"]) {
      for (const s of imageChain(devArgs({ perlSource }))) {
        for (const run of runs(s)) {
          expect(run, s.name).not.to.match(/\b(gcc|g\+\+|cc|make|cpan|cpanm)\b|-devel\b/);
          if (/\bdnf install\b/.test(run)) {
            expect(run).to.match(/dnf clean all/);
            expect(run).to.match(/rm -rf \/var\/cache\/dnf/);
          }
        }
        for (const copy of s.instructions.filter((i) => flag(i, "from") !== undefined)) {
          // From the builder, only the installed Perl tree: no /tmp sources.
          expect(copy.getArguments().map((a) => a.getValue())).to.deep.equal([
            "/opt/perl",
            "/opt/perl",
          ]);
        }
      }
    }
    expect(runs(stage("perl-builder")).join("\n")).to.match(/\bgcc\b/);
  });

  it("installs the Perl modules ExifTool needs for full coverage, both ways", () => {
    const system = runs(stage("perl-system")).join("\n");
    for (const pkg of [
      "perl-interpreter",
      "perl-Archive-Zip",
      "perl-IO-Compress",
      "perl-Digest-SHA",
    ]) {
      expect(system).to.include(pkg);
    }
    expect(runs(stage("perl-builder")).join("\n")).to.include("/tmp/archive-zip");
    expect(runs(finalStage).join("\n")).to.include("-MArchive::Zip");
  });

  it("sets the paths the function spawns", () => {
    const env = (s: Stage) =>
      s.instructions
        .filter((i) => i.getKeyword() === "ENV")
        .map((i) => i.getArgumentsContent())
        .join("\n");
    expect(env(finalStage)).to.include("EXIFTOOL_PATH=/opt/exiftool/exiftool");
    expect(env(stage("perl-source"))).to.include("PERL_PATH=/opt/perl/bin/perl");
    expect(env(stage("perl-system"))).to.include("PERL_PATH=/usr/bin/perl");
  });

  it("copies only files that exist after `npm run build` and that .dockerignore lets in", () => {
    const kept = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1));
    const copies = copiesFromContext(finalStage);
    expect(copies.length).to.be.greaterThan(0);
    for (const copy of copies) {
      const sources = copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1);
      for (const source of sources) {
        expect(kept, `.dockerignore keeps ${source}`).to.include(source);
        expect(
          existsSync(path.join(ROOT, source)),
          `${source} exists (run npm run build)`,
        ).to.equal(true);
      }
    }
    for (const s of stages.filter((x) => x !== finalStage)) {
      expect(copiesFromContext(s), `${s.name} copies nothing from the context`).to.have.length(0);
    }
  });

  it("runs a handler that the compiled bundle exports", () => {
    const cmd = finalStage.instructions.filter((i) => i.getKeyword() === "CMD");
    expect(cmd).to.have.length(1);
    const strings = JSON.parse(cmd[0].getArgumentsContent()!) as string[];
    expect(strings).to.deep.equal(["handler.handler"]);
    const [moduleName, exportName] = strings[0].split(".");
    const copied = copiesFromContext(finalStage)
      .filter((c) => c.getArguments().at(-1)!.getValue() === "${LAMBDA_TASK_ROOT}/")
      .flatMap((c) =>
        c
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      );
    const bundle = copied.find((source) => path.basename(source) === `${moduleName}.js`);
    expect(bundle, "the handler module is copied into the task root").to.equal(
      "dist/function/handler.js",
    );
    const file = path.join(ROOT, bundle!);
    expect(existsSync(file), `${bundle} exists (run npm run build)`).to.equal(true);
    const kind = execFileSync(
      process.execPath,
      [
        "-e",
        `process.stdout.write(typeof require(process.argv[1])[process.argv[2]])`,
        file,
        exportName,
      ],
      {
        encoding: "utf8",
        timeout: 30000,
        env: { PATH: process.env.PATH, AWS_REGION: "eu-west-1" },
      },
    );
    expect(kind).to.equal("function");
  });

  it("copies the pinned ExifTool, whose version the image checks at build time", () => {
    const copied = copiesFromContext(finalStage).map((c) =>
      c.getArguments().map((a) => a.getValue()),
    );
    expect(copied).to.deep.include([
      "node_modules/exiftool-vendored.pl/bin/exiftool",
      "/opt/exiftool/exiftool",
    ]);
    expect(copied).to.deep.include([
      "node_modules/exiftool-vendored.pl/bin/lib",
      "/opt/exiftool/lib",
    ]);
    expect(runs(finalStage).join("\n")).to.include("${EXIFTOOL_VERSION}");
  });
});
