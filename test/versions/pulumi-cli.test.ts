// `npm run versions -- --pulumi-cli`: the deploy stage's Pulumi CLI pin
// against the lockfile's @pulumi/pulumi, refreshed from a stand-in of the
// release's checksums file served on 127.0.0.1.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, PINS_MOVED } from "../../commands/versions/cli";
import { PULUMI_CLI_PIN, REFRESH_COMMAND } from "../../commands/versions/pulumi-cli";
import { closedPortUrl, startUpstream, type FakeUpstream } from "./helpers";

const SDK = "3.250.0";
const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
// the format Pulumi publishes: "<sha256>  <asset>", one asset a line
const CHECKSUMS = [
  `${sha("darwin")}  pulumi-v${SDK}-darwin-arm64.tar.gz`,
  `${sha("arm64")}  pulumi-v${SDK}-linux-arm64.tar.gz`,
  `${sha("x64")}  pulumi-v${SDK}-linux-x64.tar.gz`,
].join("\n");
const CHECKSUMS_PATH = `/releases/v${SDK}/pulumi-${SDK}-checksums.txt`;

describe("npm run versions -- --pulumi-cli", () => {
  let root: string;
  let upstream: FakeUpstream;
  const pinFile = () => readFileSync(join(root, PULUMI_CLI_PIN), "utf8");

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), "pulumi-cli-pin-"));
    mkdirSync(join(root, "release"));
    writeFileSync(
      join(root, PULUMI_CLI_PIN),
      JSON.stringify({ version: "3.248.0", linuxArm64Sha256: sha("old") }),
    );
    writeFileSync(
      join(root, "package-lock.json"),
      JSON.stringify({ packages: { "node_modules/@pulumi/pulumi": { version: SDK } } }),
    );
    upstream = await startUpstream({
      [`GET ${CHECKSUMS_PATH}`]: { headers: { "content-type": "text/plain" }, body: CHECKSUMS },
    });
  });
  afterEach(async () => {
    await upstream.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function run(argv: string[], releases = `${upstream.url}/releases`) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["--pulumi-cli", ...argv], {
      root,
      env: { VERSIONS_PULUMI_RELEASES: releases, VERSIONS_TIMEOUT_MS: "5000" },
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      runNpm: () => Promise.reject(new Error("npm is not run for the CLI pin")),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  it("--check exits 3 naming the SDK the pin lags behind, and writes nothing", async () => {
    const before = pinFile();
    const { code, out } = await run(["--check"]);
    expect(code).to.equal(PINS_MOVED);
    expect(out).to.include(`package-lock.json has @pulumi/pulumi ${SDK}`);
    expect(out).to.include(REFRESH_COMMAND);
    expect(pinFile()).to.equal(before);
    expect(upstream.requests).to.deep.equal([]);
  });

  it("--write records the SDK's release and its linux-arm64 SHA-256 from the checksums file", async () => {
    const { code, out } = await run(["--write"]);
    expect(code).to.equal(0);
    expect(JSON.parse(pinFile())).to.deep.equal({ version: SDK, linuxArm64Sha256: sha("arm64") });
    expect(out).to.include(sha("arm64"));
    expect(upstream.requests.map((r) => r.key)).to.deep.equal([`GET ${CHECKSUMS_PATH}`]);
    // then current: --check passes without a request
    const again = await run(["--check"]);
    expect(again.code).to.equal(0);
    expect(again.out).to.include("The Pulumi CLI pin is current.");
    expect(upstream.requests).to.have.length(1);
  });

  it("writes nothing when the release lists no linux-arm64 tarball or cannot be reached", async () => {
    const before = pinFile();
    await upstream.close();
    upstream = await startUpstream({
      [`GET ${CHECKSUMS_PATH}`]: { body: CHECKSUMS.split("\n")[0]! },
    });
    const missing = await run(["--write"]);
    expect(missing.code).to.equal(1);
    expect(missing.err).to.include(`lists no SHA-256 for pulumi-v${SDK}-linux-arm64.tar.gz`);
    const offline = await run(["--write"], await closedPortUrl());
    expect(offline.code).to.equal(1);
    expect(offline.err).to.match(/Pulumi releases: unreachable/);
    expect(pinFile()).to.equal(before);
  });

  it("refuses --node-major with --pulumi-cli", async () => {
    const { code, err } = await run(["--node-major", "24"]);
    expect(code).to.equal(2);
    expect(err).to.include("--node-major does not apply to --pulumi-cli");
  });
});
