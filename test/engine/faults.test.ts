// Failures of the object, of S3 and of the worker each come back typed, and
// the engine serves the next object afterwards.
import { noise } from "../support/noise";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { ExifToolWorker, WorkerError } from "../../function/exiftool/exiftool-worker";
import { workerEnvironment } from "../../function/exiftool/worker-environment";
import { Extractor } from "../../function/extractor";
import type { ByteSource, ObjectInfo } from "../../function/ranges/byte-source";
import { S3ReadError } from "../../function/ranges/s3-errors";
import { pngZtxtBomb, tiffOneHugeTag } from "../../samples/hostile";
import { CORPUS_DIR, quickTime } from "../../samples/synthetic";
import { bytesSource } from "../support/bytes-source";
import { exiftoolText } from "../support/local-exiftool";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const sample = readFileSync(join(CORPUS_DIR, "ExifTool.jpg"));

/** A source that misbehaves on its first read. */
function sourceThat(onRead: () => Promise<Buffer>): ByteSource {
  const info: ObjectInfo = { size: 1_000_000, lastModified: new Date() };
  return { stats: { bytesRead: 0, requests: 0 }, open: async () => info, read: onRead };
}

/** The worker's Perl process as Node sees it: its exit event and its stdout. */
function processOf(worker: ExifToolWorker): ChildProcess {
  return (worker as unknown as { child: ChildProcess }).child;
}

/** Process ids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return (
          readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]!.split(" ")[1] === String(pid)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Runs one extraction from `source` on a worker of `engine`'s pool; resolves to its error. */
function failureOf(engine: Extractor, source: ByteSource, timeoutMs = 30_000): Promise<Error> {
  return rejection(
    engine.pool.run((worker) =>
      worker.extract({
        source,
        directory: "s3://faults",
        fileName: "object.jpg",
        args: [],
        timeoutMs,
      }),
    ),
  );
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("engine faults", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let extractor: Extractor;

  before(async () => {
    local = await startLocalS3(["faults"]);
    await local.put("faults", "good.jpg", sample);
  });
  beforeEach(() => {
    local.proxy.fault = undefined;
    extractor = new Extractor({ s3: local.s3, workers: 1 });
  });
  afterEach(() => extractor.close());
  after(() => local.stop());

  async function expectStillWorks(): Promise<void> {
    const { metadata } = await extractor.extract({ bucket: "faults", key: "good.jpg" });
    expect(metadata.Artist).to.equal("Phil Harvey");
  }

  it("starts Perl once for 50 small files through one warm worker, and forks a child per file", async () => {
    const served: number[] = [];
    let parent = 0;
    for (let i = 0; i < 50; i++) {
      await extractor.pool.run(async (worker) => {
        parent = worker.pid;
        // the processes the parent had forked while this file was being read
        const forked = new Set<number>();
        const source = bytesSource(sample, () => {
          if (forked.size === 0) for (const pid of childrenOf(worker.pid)) forked.add(pid);
        });
        const output = await worker.extract({
          source,
          directory: "s3://faults",
          fileName: "good.jpg",
          args: [],
          timeoutMs: 30_000,
        });
        expect(output.json!.value.FileType).to.equal("JPEG");
        expect([...forked], `file ${i}: its child ${output.childPid}`).to.include(output.childPid);
        served.push(output.childPid!);
      });
    }
    expect(extractor.pool.spawned).to.equal(1);
    expect(served).to.not.include(parent);
    expect(new Set(served).size, "distinct children that served the 50 files").to.equal(50);
  });

  it("reports a worker killed mid-file as WorkerCrashed, then replaces it", async () => {
    await extractor.exiftoolVersion();
    const error = await rejection(
      extractor.pool.run((worker) =>
        worker.extract({
          source: sourceThat(async () => {
            process.kill(worker.pid, "SIGKILL");
            return new Promise<Buffer>(() => undefined);
          }),
          directory: "s3://faults",
          fileName: "doomed.jpg",
          args: [],
          timeoutMs: 30_000,
        }),
      ),
    );
    expect(error).to.be.instanceOf(WorkerError);
    expect((error as WorkerError).kind).to.equal("WorkerCrashed");
    await expectStillWorks();
    expect(extractor.pool.spawned).to.equal(2);
  });

  it("kills only the child that hangs past the deadline, reports Timeout, and keeps the worker", async () => {
    await extractor.exiftoolVersion();
    const error = await failureOf(
      extractor,
      sourceThat(() => new Promise<Buffer>(() => undefined)),
      300,
    );
    expect((error as WorkerError).kind).to.equal("Timeout");
    await expectStillWorks();
    expect(extractor.pool.spawned).to.equal(1);
  });

  it("lets no late answer for a given-up child reach the next object", async () => {
    await extractor.exiftoolVersion();
    for (let round = 0; round < 3; round++) {
      // the given-up child's read is answered only once the next object's child reads,
      // with bytes that would make that object unreadable if they reached it
      let answerLate!: (bytes: Buffer) => void;
      const late = sourceThat(() => new Promise<Buffer>((resolve) => (answerLate = resolve)));
      const error = await failureOf(extractor, late, 200);
      expect((error as WorkerError).kind).to.equal("Timeout");
      let released = false;
      const next = bytesSource(sample, async () => {
        if (released) return;
        released = true;
        answerLate(Buffer.alloc(sample.length, 0x55));
        // the late answer's continuation runs before this read is answered
        await new Promise((resolve) => setImmediate(resolve));
      });
      const output = await extractor.pool.run((worker) =>
        worker.extract({
          source: next,
          directory: "s3://faults",
          fileName: "good.jpg",
          args: [],
          timeoutMs: 30_000,
        }),
      );
      expect(released).to.equal(true);
      expect(output.json!.value.Artist, `round ${round}`).to.equal("Phil Harvey");
    }
    expect(extractor.pool.spawned).to.equal(1);
  });

  it("loses only the one child when a child crashes, and the worker serves the next object", async () => {
    await extractor.exiftoolVersion();
    const error = await rejection(
      extractor.pool.run((worker) =>
        worker.extract({
          source: sourceThat(async () => {
            const child = childrenOf(worker.pid)[0];
            process.kill(child!, "SIGSEGV");
            return new Promise<Buffer>(() => undefined);
          }),
          directory: "s3://faults",
          fileName: "doomed.jpg",
          args: [],
          timeoutMs: 30_000,
        }),
      ),
    );
    expect((error as WorkerError).kind).to.equal("WorkerCrashed");
    expect(error.message).to.contain("signal 11");
    await expectStillWorks();
    expect(extractor.pool.spawned).to.equal(1);
  });

  it("runs Perl in a process group of its own, so a terminal's Ctrl-C reaches only Node", async () => {
    const pid = await extractor.pool.run(async (worker) => worker.pid);
    const group = (id: number | string): string =>
      readFileSync(`/proc/${id}/stat`, "utf8").split(") ")[1]!.split(" ")[2]!;
    expect(group(pid)).to.equal(String(pid));
    expect(group(pid)).to.not.equal(group("self"));
  });

  it("never hands out a worker that died while idle", async () => {
    const worker = await extractor.pool.run(async (leased) => leased);
    const exited = once(processOf(worker), "exit");
    process.kill(worker.pid, "SIGKILL");
    await exited;
    await expectStillWorks();
    expect(extractor.pool.spawned).to.equal(2);
  });

  it("fails the object as WorkerCrashed (retryable) when its idle worker died before Node saw the exit", async () => {
    const worker = await extractor.pool.run(async (leased) => leased);
    process.kill(worker.pid, "SIGKILL");
    // in the same turn of the event loop: the exit cannot have been seen yet
    const error = await rejection(extractor.extract({ bucket: "faults", key: "good.jpg" }));
    expect(error).to.be.instanceOf(WorkerError);
    expect(error.message).to.contain("exited (SIGKILL)");
    expect((error as WorkerError).kind).to.equal("WorkerCrashed");
    expect((error as WorkerError).retryable).to.equal(true);
    await expectStillWorks();
    expect(extractor.pool.spawned).to.equal(2);
  });

  it("stops a child at its kernel-enforced memory limit and reports MemoryExceeded", async () => {
    const bomb = Buffer.concat([...pngZtxtBomb(256 * 1024 * 1024).chunks()]);
    const memory: ByteSource = {
      stats: { bytesRead: 0, requests: 0 },
      open: async () => ({ size: bomb.length, lastModified: new Date() }),
      read: async (offset, length) => bomb.subarray(offset, offset + length),
    };
    const capped = new Extractor({
      s3: local.s3,
      workers: 1,
      maxWorkerMemoryBytes: 192 * 1024 * 1024,
    });
    try {
      const error = await failureOf(capped, memory);
      expect((error as WorkerError).kind).to.equal("MemoryExceeded");
      expect((error as WorkerError).retryable).to.equal(true);
      // the parent under the same limit is untouched: the next object uses it
      const { metadata } = await capped.extract({ bucket: "faults", key: "good.jpg" });
      expect(metadata.Artist).to.equal("Phil Harvey");
      expect(capped.pool.spawned).to.equal(1);
    } finally {
      await capped.close();
    }
  });

  it("serves the next object right after a child died in the middle of a long reply", async () => {
    const tiff = tiffOneHugeTag(256 * 1024 * 1024);
    const header = [...tiff.chunks()][0]!;
    // the object's bytes, made on demand: its one tag is 256 MiB of "A"
    const huge: ByteSource = {
      stats: { bytesRead: 0, requests: 0 },
      open: async () => ({ size: tiff.size, lastModified: new Date() }),
      read: async (offset, length) => {
        const bytes = Buffer.alloc(Math.min(length, tiff.size - offset), 0x41);
        if (offset < header.length) header.copy(bytes, 0, offset);
        return bytes;
      },
    };
    const capped = new Extractor({
      s3: local.s3,
      workers: 1,
      maxWorkerMemoryBytes: 160 * 1024 * 1024,
    });
    try {
      for (let round = 0; round < 3; round++) {
        const error = await failureOf(capped, huge);
        expect((error as WorkerError).kind).to.equal("MemoryExceeded");
        const { metadata } = await capped.extract({ bucket: "faults", key: "good.jpg" });
        expect(metadata.Artist).to.equal("Phil Harvey");
      }
      expect(capped.pool.spawned).to.equal(1);
    } finally {
      await capped.close();
    }
  });

  it("fails an object whose JSON passes Node's limit as OutputTooLarge, not retried, and keeps the worker", async () => {
    const text = Buffer.concat([...pngZtxtBomb(24 * 1024 * 1024).chunks()]);
    const inflating: ByteSource = {
      stats: { bytesRead: 0, requests: 0 },
      open: async () => ({ size: text.length, lastModified: new Date() }),
      read: async (offset, length) => text.subarray(offset, offset + length),
    };
    const error = await failureOf(extractor, inflating);
    expect((error as WorkerError).kind).to.equal("OutputTooLarge");
    expect((error as WorkerError).retryable).to.equal(false);
    await expectStillWorks();
    expect(extractor.pool.spawned).to.equal(1);
  });

  it("gives ExifTool's own Error for zero-byte, truncated and random-byte objects", async () => {
    await local.put("faults", "empty.jpg", Buffer.alloc(0));
    await local.put("faults", "truncated.jpg", sample.subarray(0, 700));
    await local.put("faults", "noise.bin", noise(64 * 1024));
    const empty = await extractor.extract({ bucket: "faults", key: "empty.jpg" });
    expect(empty.metadata.Error).to.equal("File is empty");
    expect(empty.metadata.FileSize).to.equal("0 bytes");
    const truncated = await extractor.extract({ bucket: "faults", key: "truncated.jpg" });
    expect(truncated.metadata.FileType).to.equal("JPEG");
    const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-truncated-"));
    try {
      writeFileSync(join(dir, "truncated.jpg"), sample.subarray(0, 700));
      const fresh = JSON.parse(await exiftoolText(join(dir, "truncated.jpg")));
      const { Warning, Error } = truncated.metadata;
      expect(Warning ?? Error).to.be.a("string").that.is.not.empty;
      expect({ Warning, Error }).to.deep.equal({ Warning: fresh.Warning, Error: fresh.Error });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const unknown = await extractor.extract({ bucket: "faults", key: "noise.bin" });
    expect(unknown.metadata.Error).to.equal("Unknown file type");
    await expectStillWorks();
  });

  it("reports an object deleted before the read as NotFound, not retryable", async () => {
    const error = await rejection(extractor.extract({ bucket: "faults", key: "gone.jpg" }));
    expect(error).to.be.instanceOf(S3ReadError);
    expect((error as S3ReadError).kind).to.equal("NotFound");
    expect((error as S3ReadError).retryable).to.equal(false);
    expect(error.message).to.contain("s3://faults/gone.jpg");
    await expectStillWorks();
  });

  it("reports an object overwritten mid-read as PreconditionFailed instead of mixing versions", async () => {
    const movie = quickTime(3 * 1024 * 1024);
    await local.put("faults", movie.name, Buffer.concat([...movie.chunks()]));
    let replaced = false;
    local.proxy.onResponse(async (entry) => {
      if (entry.method !== "GET" || entry.key !== movie.name || replaced) return;
      replaced = true;
      await local.direct.send(
        new PutObjectCommand({ Bucket: "faults", Key: movie.name, Body: "new content" }),
      );
    });
    const error = await rejection(extractor.extract({ bucket: "faults", key: movie.name }));
    expect(replaced).to.equal(true);
    expect((error as S3ReadError).kind).to.equal("PreconditionFailed");
    const statuses = local.proxy.getsOf("faults", movie.name).map((entry) => entry.status);
    expect(statuses).to.deep.equal([206, 412]);
    await expectStillWorks();
  });

  it("reports persistent 503 SlowDown as Throttled and retryable, after the SDK's retries", async () => {
    local.proxy.fault = (request) =>
      request.key === "good.jpg" ? { status: 503, code: "SlowDown" } : undefined;
    const before = local.proxy.getsOf("faults", "good.jpg").length;
    const error = await rejection(extractor.extract({ bucket: "faults", key: "good.jpg" }));
    expect((error as S3ReadError).kind).to.equal("Throttled");
    expect((error as S3ReadError).retryable).to.equal(true);
    expect(local.proxy.getsOf("faults", "good.jpg").length - before).to.equal(4);
    local.proxy.fault = undefined;
    await expectStillWorks();
  });

  it("starts Perl without the AWS credentials or HOME of its parent", () => {
    // (checked on the environment handed to spawn: Perl's "$0 =" overwrites /proc/PID/environ)
    const parent = {
      PATH: "/usr/bin",
      TZ: "UTC",
      HOME: "/root",
      AWS_SECRET_ACCESS_KEY: "x",
      AWS_SESSION_TOKEN: "y",
    };
    expect(workerEnvironment(parent, 16384)).to.deep.equal({
      PATH: "/usr/bin",
      TZ: "UTC",
      S3_EXIFTOOL_READ_CHUNK: "16384",
    });
  });

  it("opens no file but the object, even given options that ask to (the allow-list bypassed)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-sentinel-"));
    const secret = join(dir, "secret.jpg");
    // a JPEG whose Comment no other file holds: any read of it would print this value
    const tag = `secret-${process.pid}-${Date.now()}`;
    const comment = Buffer.alloc(4);
    comment.writeUInt16BE(0xfffe, 0);
    comment.writeUInt16BE(tag.length + 2, 2);
    const secretBytes = Buffer.concat([
      sample.subarray(0, 2),
      comment,
      Buffer.from(tag),
      sample.subarray(2),
    ]);
    writeFileSync(secret, secretBytes);
    try {
      expect(JSON.parse(await exiftoolText(secret)).Comment).to.equal(tag);
      for (const args of [
        ["--ext", "-d", secret],
        ["-Comment=pwned", secret],
        ["-o", secret],
      ]) {
        let printed = "";
        const error = await rejection(
          extractor.pool.run(async (worker) => {
            const stdout = processOf(worker).stdout!;
            const listen = (chunk: Buffer): void => void (printed += chunk.toString());
            stdout.on("data", listen);
            try {
              return await worker.extract({
                source: bytesSource(sample),
                directory: "s3://faults",
                fileName: "x.jpg",
                args,
                timeoutMs: 30_000,
              });
            } finally {
              stdout.off("data", listen);
            }
          }),
        );
        const said = `${printed}\n${error.message}`;
        expect(said, args.join(" ")).not.to.contain(tag);
        // worker.pl's refusal, or exiftool's own refusal to overwrite a file
        expect(said, args.join(" ")).to.match(
          /Refused to open a file other than the object|already exists/,
        );
        expect(error.message, args.join(" ")).to.match(
          /describes 2 files|no usable JSON|rejected the command/,
        );
      }
      expect(readFileSync(secret)).to.deep.equal(secretBytes);
      expect(readdirSync(dir)).to.deep.equal(["secret.jpg"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expectStillWorks();
  });

  it("names Perl and how to install it when Perl is missing", async () => {
    const broken = new Extractor({
      s3: local.s3,
      workers: 1,
      env: { ...process.env, PERL_PATH: "/nonexistent/perl" },
    });
    try {
      // two at once on a pool of one: the second must get the error too, not wait forever;
      // and with no process there is nothing to signal (kill(-1) would reach every process)
      const signalled: number[] = [];
      const kill = process.kill;
      process.kill = ((pid: number, signal?: string | number) => {
        signalled.push(pid);
        return kill.call(process, pid, signal);
      }) as typeof process.kill;
      const errors = await Promise.all([
        rejection(broken.extract({ bucket: "faults", key: "good.jpg" })),
        rejection(broken.extract({ bucket: "faults", key: "good.jpg" })),
      ]);
      for (const error of errors) {
        expect((error as WorkerError).kind).to.equal("WorkerStartFailed");
        expect(error.message).to.match(/Perl not found.*apt-get install perl.*PERL_PATH/);
      }
      process.kill = kill;
      expect(signalled).to.deep.equal([]);
    } finally {
      await broken.close();
    }
  });
});
