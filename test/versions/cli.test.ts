import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main, PINS_MOVED, type CliDeps } from "../../commands/versions/cli";
import type { RunNpm } from "../../commands/versions/write";
import {
  closedPortUrl,
  fixture,
  fixtureJson,
  recordedRoutes,
  startUpstream,
  tempProject,
  upstreamEnv,
  type FakeUpstream,
  type Routes,
  type TempProject,
} from "./helpers";

interface Run {
  code: number;
  out: string;
  err: string;
  npmCalls: string[][];
}

interface IndexEntry {
  digest: string;
  platform: { architecture: string };
}
interface Hit {
  _source: { name: string; checksum_sha256: string };
}

const latestExiftool = fixtureJson<{ latest: string }>("npm/dist-tags.json").latest;
const perlHit = (name: string): string =>
  fixtureJson<{ hits: { hits: Hit[] } }>("metacpan/release-search.json").hits.hits.find(
    (hit) => hit._source.name === name,
  )!._source.checksum_sha256;
const arm64Of = (file: string): string =>
  fixtureJson<{ manifests: IndexEntry[] }>(file).manifests.find(
    (m) => m.platform.architecture === "arm64",
  )!.digest;

// Stands in for `npm install --save-exact exiftool-vendored.pl@<v>`: edits
// package.json and the lockfile the way npm would, without the network.
const fakeNpm: RunNpm = async (args, cwd) => {
  // npm ci rebuilds node_modules from the lockfile and leaves the files alone
  if (args[0] === "ci") return;
  const spec = args.find((arg) => arg.startsWith("exiftool-vendored.pl@"))!;
  const version = spec.split("@")[1]!;
  for (const file of ["package.json", "package-lock.json"]) {
    const path = join(cwd, file);
    writeFileSync(path, readFileSync(path, "utf8").replace(/13\.59\.2/g, version));
  }
};

function changedLines(before: Buffer, after: Buffer): { before: string[]; after: string[] } {
  const a = before.toString("utf8").split("\n");
  const b = after.toString("utf8").split("\n");
  expect(b).to.have.length(a.length, "line count changed");
  const idx = a.map((_, i) => i).filter((i) => a[i] !== b[i]);
  return { before: idx.map((i) => a[i]!), after: idx.map((i) => b[i]!) };
}

describe("npm run versions (CLI)", () => {
  let upstream: FakeUpstream;
  let project: TempProject;

  async function run(
    argv: string[],
    options: { routes?: Routes; env?: NodeJS.ProcessEnv; runNpm?: RunNpm } = {},
  ): Promise<Run> {
    if (options.routes) {
      await upstream.close();
      upstream = await startUpstream(options.routes);
    }
    const out: string[] = [];
    const err: string[] = [];
    const npmCalls: string[][] = [];
    const deps: CliDeps = {
      root: project.root,
      env: { ...upstreamEnv(upstream.url), ...options.env },
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      runNpm: async (args, cwd) => {
        npmCalls.push(args);
        await (options.runNpm ?? fakeNpm)(args, cwd);
      },
    };
    const code = await main(argv, deps);
    return { code, out: out.join("\n"), err: err.join("\n"), npmCalls };
  }

  beforeEach(async () => {
    upstream = await startUpstream(recordedRoutes());
    project = tempProject();
  });
  afterEach(async () => {
    await upstream.close();
    project.remove();
  });

  it("prints a table of pin, current and latest, and writes nothing", async () => {
    const before = project.snapshot();
    const { code, out } = await run([]);
    expect(code).to.equal(0);
    const lines = out.split("\n");
    expect(lines[0]).to.match(/^pin\s+current\s+latest\s+status$/);
    const row = (pin: string): string[] =>
      lines.find((line) => line.startsWith(`${pin} `))!.split(/\s{2,}/);
    expect(row("exiftoolVersion")).to.deep.equal([
      "exiftoolVersion",
      "13.59.2",
      latestExiftool,
      "update",
    ]);
    expect(row("nodeMajor")).to.deep.equal(["nodeMajor", "24", "26", "manual"]);
    const digest = arm64Of("ecr/manifest-list-24.json");
    expect(row("baseImageDigest")).to.deep.equal(["baseImageDigest", digest, digest, "ok"]);
    expect(row("perlVersion")).to.deep.equal(["perlVersion", "5.40.2", "5.42.1", "update"]);
    expect(row("perlSha256")).to.deep.equal([
      "perlSha256",
      perlHit("perl-5.40.2"),
      perlHit("perl-5.42.1"),
      "update",
    ]);
    expect(row("ExifTool (exiftool.org)")[2]).to.equal(fixture("exiftool-org/ver.txt").trim());
    expect(out).to.include("--node-major 26");
    expect(out).to.include("still rebuilt: 20, 22, 24, 26");
    expect(project.snapshot()).to.deep.equal(before);
  });

  it("--write changes exactly the pins that moved and installs the new ExifTool", async () => {
    const before = project.snapshot();
    const { code, npmCalls } = await run(["--write"]);
    expect(code).to.equal(0);
    expect(npmCalls).to.deep.equal([
      ["install", "--save-exact", `exiftool-vendored.pl@${latestExiftool}`],
    ]);
    const stack = changedLines(before.get("Pulumi.dev.yaml")!, project.read("Pulumi.dev.yaml"));
    expect(stack.after).to.deep.equal([
      `  s3-exiftool:exiftoolVersion: "${latestExiftool}"`,
      `  s3-exiftool:perlVersion: "5.42.1"`,
      `  s3-exiftool:perlSha256: '${perlHit("perl-5.42.1")}'`,
    ]);
    expect(stack.before.map((line) => line.split(":")[1])).to.deep.equal([
      "exiftoolVersion",
      "perlVersion",
      "perlSha256",
    ]);
    const pkg = JSON.parse(project.read("package.json").toString("utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies["exiftool-vendored.pl"]).to.equal(latestExiftool);
  });

  it("--write moves the base image digest when the tag points at a new build", async () => {
    const routes = recordedRoutes();
    const moved = fixture("ecr/manifest-list-24.json").replace(
      arm64Of("ecr/manifest-list-24.json"),
      `sha256:${"c".repeat(64)}`,
    );
    routes["GET /v2/lambda/nodejs/manifests/24"] = { body: moved };
    const before = project.snapshot();
    const { code } = await run(["--write"], { routes });
    expect(code).to.equal(0);
    const stack = changedLines(before.get("Pulumi.dev.yaml")!, project.read("Pulumi.dev.yaml"));
    expect(stack.after).to.include(`  s3-exiftool:baseImageDigest: sha256:${"c".repeat(64)}`);
    expect(stack.after).to.have.length(4);
  });

  it("--check exits 3 when a pin moved and 0 once every pin is current, writing nothing", async () => {
    const before = project.snapshot();
    const moved = await run(["--check"]);
    expect(moved.code).to.equal(PINS_MOVED);
    expect(PINS_MOVED).to.equal(3);
    expect(moved.out).to.include("A pin moved");
    expect(moved.npmCalls).to.deep.equal([]);
    expect(project.snapshot()).to.deep.equal(before);
    await run(["--write"]);
    const current = await run(["--check"]);
    expect(current.code).to.equal(0);
    expect(current.out).to.include("Every pin is current.");
  });

  it("refuses --check together with --write", async () => {
    const { code, err } = await run(["--check", "--write"]);
    expect(code).to.equal(2);
    expect(err).to.include("--write and --check exclude each other");
  });

  it("--node-major switches the major and pins that major's arm64 digest", async () => {
    const before = project.snapshot();
    const { code } = await run(["--write", "--node-major", "26"]);
    expect(code).to.equal(0);
    const stack = changedLines(before.get("Pulumi.dev.yaml")!, project.read("Pulumi.dev.yaml"));
    expect(stack.after).to.include(
      "  s3-exiftool:nodeMajor: 26 # Lambda base image public.ecr.aws/lambda/nodejs:<nodeMajor>",
    );
    expect(stack.after).to.include(
      `  s3-exiftool:baseImageDigest: ${arm64Of("ecr/image-index-26.json")}`,
    );
  });

  it("refuses a Node major Lambda no longer rebuilds, writing nothing", async () => {
    const routes = recordedRoutes();
    routes["GET /v2/lambda/nodejs/manifests/18"] = routes["GET /v2/lambda/nodejs/manifests/24"]!;
    const before = project.snapshot();
    const { code, err } = await run(["--write", "--node-major", "18"], { routes });
    expect(code).to.equal(1);
    expect(err).to.match(/Node\.js 18 is not a supported/);
    expect(project.snapshot()).to.deep.equal(before);
  });

  it("--write with every pin current leaves every file byte-identical and skips npm", async () => {
    await run(["--write"]);
    const after = project.snapshot();
    const { code, out, npmCalls } = await run(["--write"]);
    expect(code).to.equal(0);
    expect(out).to.include("Every pin is current.");
    expect(npmCalls).to.deep.equal([]);
    expect(project.snapshot()).to.deep.equal(after);
  });

  describe("each failure names the source, exits non-zero and leaves every file untouched", () => {
    const cases: {
      name: string;
      source: RegExp;
      routes?: (r: Routes) => void;
      env?: () => Promise<NodeJS.ProcessEnv>;
    }[] = [
      {
        name: "MetaCPAN unreachable",
        source: /CPAN \(MetaCPAN API\): unreachable \(ECONNREFUSED\)/,
        env: async () => ({ VERSIONS_METACPAN: await closedPortUrl() }),
      },
      {
        name: "garbled npm registry JSON",
        source: /npm registry: response from .* is not valid JSON/,
        routes: (r) => {
          r["GET /npm/-/package/exiftool-vendored.pl/dist-tags"] = { body: '{"latest": "13.6' };
        },
      },
      {
        name: "exiftool.org answering HTTP 500",
        source: /exiftool\.org: HTTP 500/,
        routes: (r) => {
          r["GET /exiftool/ver.txt"] = { status: 500, body: "Internal Server Error" };
        },
      },
      {
        name: "no arm64 entry in the image index",
        source: /ECR Public \(public\.ecr\.aws\): no linux\/arm64 entry/,
        routes: (r) => {
          const list = JSON.parse(fixture("ecr/manifest-list-24.json")) as {
            manifests: IndexEntry[];
          };
          list.manifests = list.manifests.filter((m) => m.platform.architecture !== "arm64");
          r["GET /v2/lambda/nodejs/manifests/24"] = { body: JSON.stringify(list) };
        },
      },
      {
        name: "ECR token endpoint down",
        source: /ECR Public \(public\.ecr\.aws\): HTTP 503/,
        routes: (r) => {
          r["GET /token/?scope=repository:lambda/nodejs:pull"] = { status: 503, body: "" };
        },
      },
      {
        name: "tags list without a tags array",
        source: /Lambda Node\.js runtimes \(ECR Public tags\): no tags array/,
        routes: (r) => {
          r["GET /v2/lambda/nodejs/tags/list?n=1000"] = { body: '{"name":"lambda/nodejs"}' };
        },
      },
    ];
    for (const failure of cases) {
      it(failure.name, async () => {
        const routes = recordedRoutes();
        failure.routes?.(routes);
        const before = project.snapshot();
        const result = await run(["--write"], { routes, env: await failure.env?.() });
        expect(result.code).to.equal(1);
        expect(result.err).to.match(failure.source);
        expect(result.err).to.include("Nothing was written.");
        // the pins are still shown, with "unreachable" where a source failed
        expect(result.out).to.include(" unreachable ");
        expect(result.out).to.not.include("--write` to apply");
        expect(result.npmCalls).to.deep.equal([]);
        expect(project.snapshot()).to.deep.equal(before);
      });
    }

    it("a failed npm install: package.json, the lockfile and node_modules are restored", async () => {
      const before = project.snapshot();
      const result = await run(["--write"], {
        runNpm: async (args, cwd) => {
          await fakeNpm(args, cwd);
          if (args[0] === "install")
            throw new Error("npm install exiftool-vendored.pl failed (exit 1)");
        },
      });
      expect(result.code).to.equal(1);
      expect(result.err).to.include("npm install exiftool-vendored.pl failed");
      expect(project.snapshot()).to.deep.equal(before);
      // node_modules, which the failed install may have changed, is rebuilt from the restored lockfile
      expect(result.npmCalls.at(-1)).to.deep.equal(["ci"]);
    });

    it("an unreadable stack file names the file", async () => {
      writeFileSync(
        join(project.root, "Pulumi.dev.yaml"),
        "config:\n  s3-exiftool:nodeMajor: [24\n",
      );
      const before = project.snapshot();
      const result = await run(["--write"]);
      expect(result.code).to.equal(1);
      expect(result.err).to.match(/Pulumi\.dev\.yaml is not valid YAML/);
      expect(project.snapshot()).to.deep.equal(before);
    });
  });

  it("one source down: the table shows the pins, the answers that came, and 'unreachable'", async () => {
    const result = await run([], { env: { VERSIONS_METACPAN: await closedPortUrl() } });
    expect(result.code).to.equal(1);
    const cells = (pin: string): string[] =>
      result.out
        .split("\n")
        .find((line) => line.startsWith(`${pin} `))!
        .split(/\s{2,}/);
    const pinned = project.snapshot();
    expect(cells("perlVersion").slice(2)).to.deep.equal(["unreachable", "unknown"]);
    expect(cells("perlSha256").slice(2)).to.deep.equal(["unreachable", "unknown"]);
    expect(cells("exiftoolVersion")[2]).to.equal(latestExiftool);
    expect(result.err).to.match(/CPAN \(MetaCPAN API\): unreachable/);
    expect(project.snapshot()).to.deep.equal(pinned);
  });

  it("offline: the real entry point exits non-zero naming every unreachable source", async () => {
    const dead = await closedPortUrl();
    const before = project.snapshot();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(__dirname, "..", "..", "commands", "versions.ts"), "--write"],
      {
        env: {
          ...process.env,
          VERSIONS_PROJECT_ROOT: project.root,
          VERSIONS_NPM_REGISTRY: dead,
          VERSIONS_EXIFTOOL_ORG: dead,
          VERSIONS_METACPAN: dead,
          VERSIONS_ECR_PUBLIC: dead,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).to.equal(1);
    // the current pins, each with "unreachable" as its latest
    const rows = stdout.split("\n").slice(2, 8);
    expect(rows.map((line) => line.split(/\s{2,}/)[0])).to.deep.equal([
      "exiftoolVersion",
      "ExifTool (exiftool.org)",
      "nodeMajor",
      "baseImageDigest",
      "perlVersion",
      "perlSha256",
    ]);
    for (const line of rows) expect(line).to.match(/ {2}unreachable {2}unknown$/);
    const stackFile = readFileSync(join(project.root, "Pulumi.dev.yaml"), "utf8");
    const digest = /baseImageDigest: '?([^'\n]+)/.exec(stackFile)![1]!;
    expect(rows[3]!.split(/\s{2,}/)[1]).to.equal(digest);
    for (const source of [
      "npm registry",
      "exiftool.org",
      "CPAN (MetaCPAN API)",
      "ECR Public (public.ecr.aws)",
    ]) {
      expect(stderr).to.include(`${source}: unreachable`);
    }
    expect(project.snapshot()).to.deep.equal(before);
  });
});
