import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { runExtract } from "../../commands/extract";
import { CORPUS_DIR } from "../../samples/synthetic";
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from "../support/local-s3";

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

describe("npm run extract", function () {
  this.timeout(60_000);
  let local: LocalS3;

  before(async () => {
    local = await startLocalS3(["cli"]);
    await local.put("cli", "photos/ExifTool.jpg", readFileSync(join(CORPUS_DIR, "ExifTool.jpg")));
  });
  after(() => local.stop());

  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = collect();
    const stderr = collect();
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    };
    const saved = { ...process.env };
    Object.assign(process.env, env); // the SDK's credential chain reads the process environment
    try {
      const code = await runExtract(argv, { stdout: stdout.stream, stderr: stderr.stream, env });
      return { code, stdout: stdout.text(), stderr: stderr.text() };
    } finally {
      process.env = saved;
    }
  }

  it("prints one JSON array in argument order, with an Error entry and exit 1 for a failure", async () => {
    const { code, stdout, stderr } = await run([
      "s3://cli/photos/ExifTool.jpg",
      "s3://cli/missing.jpg",
      "--stats",
      "--",
      "-G1",
    ]);
    expect(code).to.equal(1);
    const output = JSON.parse(stdout) as Record<string, unknown>[];
    expect(output.map((entry) => entry.SourceFile)).to.deep.equal([
      "s3://cli/photos/ExifTool.jpg",
      "s3://cli/missing.jpg",
    ]);
    expect(output[0]["IFD0:Artist"]).to.equal("Phil Harvey");
    expect(output[0]["System:Directory"]).to.equal("s3://cli/photos");
    expect(String(output[1].Error)).to.match(/not found: s3:\/\/cli\/missing.jpg/);
    const statsLine = JSON.parse(stderr.trim().split("\n")[0]);
    expect(statsLine).to.include({ key: "photos/ExifTool.jpg", objectSize: 26106 });
    expect(statsLine.bytesRead).to.be.above(0);
    expect(statsLine.requests).to.be.at.least(1);
  });

  it("exits 0 when every object is extracted", async () => {
    const { code, stdout } = await run(["s3://cli/photos/ExifTool.jpg"]);
    expect(code).to.equal(0);
    expect(JSON.parse(stdout)[0].FileType).to.equal("JPEG");
  });

  it("refuses a bad URI and a refused exiftool option with a clear message, prefixed as every command's", async () => {
    const badUri = await run(["cli/photos/ExifTool.jpg"]);
    expect(badUri.code).to.equal(2);
    expect(badUri.stderr).to.match(
      /^npm run extract: not an s3:\/\/BUCKET\/KEY URI: cli\/photos\/ExifTool.jpg\n/,
    );
    const badOption = await run(["s3://cli/photos/ExifTool.jpg", "--", "-o", "x"]);
    expect(badOption.code).to.equal(2);
    expect(badOption.stderr).to.match(/^npm run extract: .*"-o" is refused/);
  });

  it("names an unknown option and says where ExifTool's options go", async () => {
    const result = await run(["s3://cli/photos/ExifTool.jpg", "-G1"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(
      /^npm run extract: Unknown option '-G' \(ExifTool options go after --\)\n/,
    );
    expect(result.stdout).to.equal("");
  });

  it("`npm run extract -- --help` prints the usage on stdout and exits 0", async () => {
    const child = spawn("npm", ["run", "-s", "extract", "--", "--help"], {
      cwd: join(__dirname, "..", ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).to.equal(0, stderr);
    expect(stdout).to.match(/^usage: npm run extract -- s3:\/\/BUCKET\/KEY /);
    expect(stdout).to.include("--stats");
    expect(stderr).to.not.include("not an s3://");
  });
});
