// `npm start` as a user runs it: a child process, its output and exit code,
// and what it leaves behind after Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { createS3Client } from "../../function/ranges/s3-client";
import type { ResultRecord } from "../../function/results/result-record";
import { CORPUS, ROOT, waitFor } from "./support";

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): Run {
  // node with tsx's loader, not `npx tsx`: then the run's own process is the
  // child, and every process it starts is that child's child
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: "" },
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

describe("npm start (local/start.ts)", () => {
  const runs: Run[] = [];
  const cli = (args: string[]): Run => {
    const run = startCli(args);
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
    const endpoint = await waitFor(
      "the ready line",
      () => /ready: aws --endpoint-url (\S+) s3 cp/.exec(run.stderr())?.[1],
      30_000,
    );
    expect(run.stderr()).to.include(`aws --endpoint-url ${endpoint} s3 cp FILE s3://uploads/`);

    const s3 = createS3Client({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "any", secretAccessKey: "any" },
    });
    try {
      const body = readFileSync(path.join(CORPUS, "Canon.jpg"));
      await s3.send(new PutObjectCommand({ Bucket: "uploads", Key: "a photo.jpg", Body: body }));
    } finally {
      s3.destroy();
    }
    await waitFor("the processed line", () =>
      /^stored +a photo\.jpg -> s3:\/\/results\//m.test(run.stdout()) ? true : undefined,
    );

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
});
