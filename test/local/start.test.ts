// `npm start` as a user runs it: a child process, its output and exit code,
// and what it leaves behind after Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { createS3Client } from "../../function/ranges/s3-client";
import type { ResultRecord } from "../../function/results/result-record";
import { DEFAULT_PORT } from "../../local/default-port";
import { LOCAL_CREDENTIALS } from "../../local/pipeline";
import { nextSequencer, s3EventBody } from "../../local/s3-event";
import { zipOfManyMembers } from "../../samples/hostile";
import { CORPUS, corpusFiles, ROOT, waitFor } from "./support";

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `npm start` itself (through: npm as a user runs it), or node with tsx's
 * loader: then the run's own process is the child, and every process it
 * starts is that child's child.
 */
function startCli(
  args: string[],
  through: "npm" | "node" = "node",
  env: NodeJS.ProcessEnv = { ...process.env, PORT: "" },
): Run {
  const [command, prefix] =
    through === "npm"
      ? ["npm", ["start", "-s", "--"]]
      : [process.execPath, ["--import", "tsx", "commands/start.ts"]];
  const child = spawn(command, [...prefix, ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function finished(run: Run, timeoutMs = 40_000): Promise<number | null> {
  const { code } = await waitFor(
    "the run to exit",
    () => Promise.race([run.exited, undefined]),
    timeoutMs,
  );
  return code;
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  startTime: string;
  command: string;
}

function processes(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // the command name is in parentheses and may hold spaces
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      found.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        startTime: fields[19]!,
        command: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim(),
      });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

function descendants(pid: number): ProcessInfo[] {
  const all = processes();
  const result: ProcessInfo[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const info of all.filter((p) => p.ppid === parent)) {
      result.push(info);
      parents.push(info.pid);
    }
  }
  return result;
}

/** Still running: the same pid with the same start time (pids are reused). */
const alive = (info: ProcessInfo): boolean =>
  processes().some((p) => p.pid === info.pid && p.startTime === info.startTime);

/** Resolves once nothing accepts connections on the port. */
const portClosed = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });

/** A port something else listens on: a free one, or the given one (already busy will do). */
async function busyPort(wanted = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(wanted, "127.0.0.1", resolve);
    });
  } catch (error) {
    if (wanted === 0 || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    return { port: wanted, close: () => Promise.resolve() };
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Uploads a corpus file through the served endpoint, as any S3 client would. */
async function upload(endpoint: string, key: string): Promise<void> {
  const s3 = createS3Client({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "any", secretAccessKey: "any" },
  });
  try {
    const body = readFileSync(path.join(CORPUS, "Canon.jpg"));
    await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}

/** Uploads a corpus file through the served endpoint and waits for its `stored` line. */
async function uploadAndWait(run: Run, endpoint: string, key: string): Promise<void> {
  await upload(endpoint, key);
  const line = new RegExp(`^stored +${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} -> `, "m");
  await waitFor("the processed line", () => (line.test(run.stdout()) ? true : undefined));
}

/** The record's fields that a doc's `head -N canon.json` sample shows, in order. */
function sampleFields(doc: string): string[] {
  const text = readFileSync(path.join(ROOT, doc), "utf8");
  const sample = /\$ head -\d+ canon\.json\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
  return [...sample.matchAll(/^ {4}"(\w+)":/gm)].map((match) => match[1]!);
}

/** Sends a message to the served queue, as S3 (or anyone with the queue's URL) would. */
const QUEUE_LINE = /^ {2}queue +(\S+)$/m;

/** One use of the run's queue (its URL on the run's stderr) through a client of `endpoint`. */
async function withQueue<T>(
  run: Run,
  endpoint: string,
  use: (sqs: SQSClient, queueUrl: string) => Promise<T>,
): Promise<T> {
  const queueUrl = QUEUE_LINE.exec(run.stderr())![1]!;
  const sqs = new SQSClient({ endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
  try {
    return await use(sqs, queueUrl);
  } finally {
    sqs.destroy();
  }
}

/** Messages of the run's queue that a batch holds (received, not yet deleted); 0 before it has started. */
async function messagesInFlight(run: Run): Promise<number> {
  const endpoint = / on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(run.stderr())?.[1];
  if (!endpoint || !QUEUE_LINE.test(run.stderr())) return 0;
  return withQueue(run, endpoint, async (sqs, queueUrl) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  });
}

function sendToQueue(run: Run, endpoint: string, body: string): Promise<string> {
  return withQueue(run, endpoint, async (sqs, queueUrl) => {
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }),
    );
    return MessageId!;
  });
}

const stdoutLine = (run: Run, start: string): Promise<string> =>
  waitFor(`a line starting "${start}"`, () =>
    run
      .stdout()
      .split("\n")
      .find((line) => line.startsWith(start)),
  );

/** Pulumi.dev.yaml with some keys set otherwise, as a stack file of its own for the suite. */
function stackFileWith(name: string, values: Record<string, string>): string {
  const stack = `test-${name}-${process.pid}`;
  const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
  before(() => {
    let text = readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    for (const [key, value] of Object.entries(values)) {
      const line = new RegExp(`^ {2}s3-exiftool:${key}: .*$`, "m");
      expect(text).to.match(line);
      text = text.replace(line, `  s3-exiftool:${key}: ${value}`);
    }
    writeFileSync(stackFile, text);
  });
  after(() => rmSync(stackFile, { force: true }));
  return stack;
}

const readyEndpoint = (run: Run): Promise<string> =>
  waitFor(
    "the ready line",
    () => /ready: aws --endpoint-url (\S+) s3 cp/.exec(run.stderr())?.[1],
    30_000,
  );

describe("npm start (commands/start.ts)", () => {
  const runs: Run[] = [];
  const cli = (args: string[], through: "npm" | "node" = "node", env?: NodeJS.ProcessEnv): Run => {
    const run = startCli(args, through, env);
    runs.push(run);
    return run;
  };

  afterEach(() => {
    for (const run of runs.splice(0)) if (run.child.exitCode === null) run.child.kill("SIGKILL");
  });

  it("prints a corpus file's metadata as a JSON array and exits 0", async () => {
    const file = path.join(CORPUS, "Canon.jpg");
    const run = cli(["--port", "0", file]);
    expect(await finished(run)).to.equal(0, run.stderr());
    const results = JSON.parse(run.stdout()) as ResultRecord[];
    expect(results).to.have.length(1);
    expect(results[0]).to.include({
      bucket: "uploads",
      key: "Canon.jpg",
      size: readFileSync(file).length,
    });
    expect(results[0]!.metadata).to.include({ Make: "Canon", FileType: "JPEG" });
    // the samples in the docs show the record as it is, up to its metadata
    const fields = Object.keys(results[0]!);
    for (const doc of ["README.md", "docs/local.md"])
      expect(sampleFields(doc), doc).to.deep.equal(fields.slice(0, fields.indexOf("metadata") + 1));
  });

  it("exits non-zero naming a missing file, before starting anything", async () => {
    const run = cli(["--port", "0", path.join(CORPUS, "Canon.jpg"), "no-such-file.jpg"]);
    expect(await finished(run)).to.equal(2);
    expect(run.stderr()).to.include("no-such-file.jpg: no such file");
    expect(run.stdout()).to.equal("");
    expect(run.stderr()).to.not.include("local pipeline");
  });

  it("serves until SIGINT, a line per processed object, and leaves no child process behind", async () => {
    const run = cli(["--port", "0"]);
    const endpoint = await readyEndpoint(run);
    expect(run.stderr()).to.include(`aws --endpoint-url ${endpoint} s3 cp FILE s3://uploads/`);
    // AWS CLI v1 reads only AWS_DEFAULT_REGION
    expect(run.stderr()).to.include("AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1");
    await uploadAndWait(run, endpoint, "a photo.jpg");

    const children = descendants(run.child.pid!);
    // the extraction started Perl workers: the check below is about them
    expect(children.some((p) => /exiftool/.test(p.command))).to.equal(
      true,
      JSON.stringify(children),
    );

    run.child.kill("SIGINT");
    await finished(run, 30_000);
    // checked at once: a worker left to notice its closed stdin would still be here
    expect(children.filter(alive).map((p) => `${p.pid} ${p.command}`)).to.deep.equal([]);
    expect(run.stderr()).to.include("SIGINT: finishing the batch in flight, then stopping");
  });

  it("prints an uploaded key escaped: a newline in it cannot forge a line", async () => {
    const run = cli(["--port", "0"]);
    const endpoint = await readyEndpoint(run);
    const forged = "stored  forged.jpg -> s3://results/forged.jpg.json (99 tags)";
    const key = `evil\n${forged}\u001b[2K.jpg`;
    await upload(endpoint, key);
    const printed = `evil\\n${forged}\\u001b[2K.jpg`;
    const line = await waitFor("the processed line", () =>
      run
        .stdout()
        .split("\n")
        .find((text) => text.startsWith("stored  evil")),
    );
    expect(line!.startsWith(`stored  ${printed} -> s3://results/${printed}.json (`)).to.equal(
      true,
      line,
    );
    expect(run.stdout().split("\n")).to.not.include(forged);
    expect(run.stdout()).to.not.include("\u001b");
  });

  it("--verbose: the handler's log lines go to stderr, stdout stays one JSON array", async () => {
    const run = cli(["--verbose", "--port", "0", path.join(CORPUS, "Canon.jpg")], "npm");
    expect(await finished(run)).to.equal(0, run.stderr());
    const results = JSON.parse(run.stdout()) as ResultRecord[];
    expect(results.map((result) => result.key)).to.deep.equal(["Canon.jpg"]);
    // the handler's own INFO line, which Powertools writes to process.stdout
    expect(run.stderr()).to.match(/^\{"level":"INFO","message":"stored",/m);
  });

  it("--help prints the usage on stdout and exits 0", async () => {
    const run = cli(["--help"], "npm");
    expect(await finished(run)).to.equal(0, run.stderr());
    expect(run.stdout()).to.match(/^usage: npm start -- \[--port N\]/);
    expect(run.stdout()).to.include("--key-prefix P");
  });

  it("a port in use: names it, suggests --port, exits 2, no stack trace", async () => {
    const busy = await busyPort();
    try {
      const run = cli(["--port", String(busy.port)]);
      expect(await finished(run)).to.equal(2, run.stderr());
      expect(run.stderr()).to.include(
        `npm start: port ${busy.port} on 127.0.0.1 is already in use (another npm start?): ` +
          "stop that, or pick another port with --port N (0 picks a free one)",
      );
      expect(run.stderr()).to.not.match(/^\s+at /m);
      expect(run.stderr()).to.not.include("EADDRINUSE");
    } finally {
      await busy.close();
    }
  });

  it("file mode reads a relative FILE from where npm was run, on a free port while the default is busy", async () => {
    const busy = await busyPort(DEFAULT_PORT);
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, INIT_CWD: CORPUS };
      delete env.PORT;
      const run = cli(["Canon.jpg"], "node", env);
      expect(await finished(run)).to.equal(0, run.stderr());
      const results = JSON.parse(run.stdout()) as ResultRecord[];
      expect(results.map(({ key, size }) => [key, size])).to.deep.equal([
        ["Canon.jpg", statSync(path.join(CORPUS, "Canon.jpg")).size],
      ]);
      expect(run.stderr()).to.not.include(`127.0.0.1:${DEFAULT_PORT}`);
    } finally {
      await busy.close();
    }
  });

  it("Ctrl-C in file mode prints the results already made as a JSON array and exits 130", async () => {
    const files = corpusFiles(40);
    const run = cli(["--port", "0", ...files]);
    await waitFor("a file's outcome", () => (/^stored /m.test(run.stderr()) ? true : undefined));
    run.child.kill("SIGINT");
    expect(await finished(run, 60_000)).to.equal(130, run.stderr());
    const results = JSON.parse(run.stdout()) as ResultRecord[];
    expect(results).to.be.an("array").that.is.not.empty;
    const names = files.map((file) => path.basename(file));
    for (const result of results) expect(names).to.include(result.key);
    expect(run.stderr()).to.include("SIGINT: finishing the batch in flight, then stopping");
  });

  it("a second Ctrl-C in file mode stops without waiting for the batch in flight, still printing a JSON array", async () => {
    // one object that keeps its batch in flight for seconds (ExifTool lists
    // every member of a ZIP), so the second signal cannot come after the
    // batch is done, however slow this machine is
    const dir = mkdtempSync(path.join(tmpdir(), "start-sigint-"));
    try {
      const zip = zipOfManyMembers(20_000);
      const file = path.join(dir, zip.name);
      writeFileSync(file, Buffer.concat([...zip.chunks()]));
      const run = cli(["--port", "0", file]);
      await waitFor("its message taken by the event source mapping", () =>
        messagesInFlight(run).then((n) => (n > 0 ? true : undefined)),
      );
      run.child.kill("SIGINT");
      await waitFor("the first signal's notice", () =>
        run.stderr().includes("then stopping") ? true : undefined,
      );
      run.child.kill("SIGINT");
      expect(await finished(run, 60_000)).to.equal(130, run.stderr());
      expect(run.stderr()).to.include("SIGINT again: stopping now");
      expect(JSON.parse(run.stdout())).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serving: a failed message that names no upload gets its FAILED line on stdout", async () => {
    const run = cli(["--port", "0"]);
    const endpoint = await readyEndpoint(run);
    const messageId = await sendToQueue(run, endpoint, "not a notification");
    expect(await stdoutLine(run, "FAILED  message ")).to.match(
      new RegExp(
        `^FAILED {2}message ${messageId}: message body is not JSON: .*; receive 1 of 5, retried after 720 s$`,
      ),
    );
  });

  describe("with a stack that keeps results in the upload bucket", () => {
    const stack = stackFileWith("results-here", {
      resultsInUploadBucket: "true",
      resultsPrefix: "exiftool/",
      filterPrefix: "incoming/",
      maxReceiveCount: "1",
    });

    it("stores them under the results prefix there, and refuses a notification of a result", async () => {
      const run = cli(["--stack", stack, "--port", "0"]);
      const endpoint = await readyEndpoint(run);
      expect(run.stderr()).to.include("results         s3://uploads/exiftool/<key>.json");
      expect(run.stderr()).to.include("uploads-dlq (after 1 receive)\n");
      await uploadAndWait(run, endpoint, "incoming/a.jpg");
      expect(run.stdout()).to.include(
        "stored  incoming/a.jpg -> s3://uploads/exiftool/incoming/a.jpg.json (",
      );
      // S3 would not announce it (it is outside the filter prefix); a stray
      // notification of it is refused, not extracted into a result of a result
      const key = "exiftool/incoming/a.jpg.json";
      const object = { bucket: "uploads", key, size: 1, eTag: "0", sequencer: nextSequencer() };
      await sendToQueue(
        run,
        endpoint,
        s3EventBody(object, {
          eventName: "ObjectCreated:Put",
          region: "us-east-1",
          eventTime: new Date(),
          configurationId: "test",
          requestId: "test",
          hostId: "test",
          sourceIPAddress: "127.0.0.1",
        }),
      );
      expect(await stdoutLine(run, `skipped ${key}`)).to.include("under the results prefix");
    });
  });

  describe("with a stack file that sets filterPrefix", () => {
    const stack = stackFileWith("prefix", { filterPrefix: "incoming/" });

    it("uploads files under the prefix, so they are extracted", async () => {
      const run = cli(["--stack", stack, "--port", "0", path.join(CORPUS, "Canon.jpg")]);
      expect(await finished(run)).to.equal(0, run.stderr());
      const results = JSON.parse(run.stdout()) as ResultRecord[];
      expect(results.map((result) => result.key)).to.deep.equal(["incoming/Canon.jpg"]);
      expect(run.stderr()).to.include("to s3://uploads/incoming/Canon.jpg");
    });

    it("--key-prefix overrides it, and a key outside the filter is named as skipped", async () => {
      const run = cli([
        "--stack",
        stack,
        "--key-prefix",
        "elsewhere/",
        "--port",
        "0",
        path.join(CORPUS, "Canon.jpg"),
      ]);
      expect(await finished(run)).to.equal(1, run.stderr());
      expect(JSON.parse(run.stdout())).to.deep.equal([]);
      expect(run.stderr()).to.include(
        `skipped elsewhere/Canon.jpg: the stack's notification filter (prefix "incoming/"`,
      );
    });
  });

  // Process managers and `kill` signal the main PID: npm's, when users run `npm start`.
  for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
    it(`${signal} to the npm process stops the whole run: no process left, the port closed`, async () => {
      const run = cli(["--verbose", "--port", "0"], "npm");
      const endpoint = await readyEndpoint(run);
      await uploadAndWait(run, endpoint, "photo.jpg");
      // served with --verbose: stdout has the one line per object, the handler's log went to stderr
      const lines = run.stdout().trimEnd().split("\n");
      expect(lines).to.have.length(1, run.stdout());
      expect(lines[0]).to.match(
        /^stored {2}photo\.jpg -> s3:\/\/results\/photo\.jpg\.json \(\d+ tags\)$/,
      );
      expect(run.stderr()).to.match(/^\{"level":"INFO","message":"stored",/m);
      const children = descendants(run.child.pid!);
      expect(children.some((p) => /exiftool/.test(p.command))).to.equal(
        true,
        JSON.stringify(children),
      );

      run.child.kill(signal);
      await finished(run, 30_000);
      // SIGKILL reaches npm alone: its orphaned child notices within a second
      await waitFor(
        "every process of the run to exit",
        () => (children.some(alive) ? undefined : true),
        10_000,
      );
      expect(await portClosed(Number(new URL(endpoint).port))).to.equal(true);
    });
  }
});
