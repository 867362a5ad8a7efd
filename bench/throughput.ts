// Files per second over many objects, four in flight (two per core) for
// every contender, so network waits can overlap work: the engine's warm pool
// of two workers; the ceiling, the same pool reading the local files (no S3
// at all: the best any S3 reader can reach here); warm-unisolated, two
// `exiftool -stay_open` processes on the same local files, the speed of the
// design before each object got a fresh ExifTool (what isolation costs); a
// new exiftool process per file for the designs it replaces. Each run also
// says where the time went: per file, the engine's own timing, and the CPU
// each side used.
import { basename } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { concurrencyLimit } from "../function/concurrency-limit";
import { Extractor, splitKey, type ExtractionTiming } from "../function/extractor";
import type { RangeReadOptions, S3ObjectRef } from "../function/ranges/s3-range-source";
import type { Contender, ContenderName } from "./contenders/contender";
import { cpuSince, cpuSnapshot, type CpuSplit } from "./cpu-time";
import { jsonEntries } from "./exiftool-process";
import { LocalFileSource } from "./local-file-source";
import { preparationSteps } from "../function/exiftool/format-modules";
import { differingTags } from "./reference";
import type { Corpus, FreshCheck, PerFile, Throughput } from "./results";
import { StayOpenExiftool } from "./stay-open-exiftool";
import { BreakdownRecorder, type WorkerCpuBreakdown } from "./worker-breakdown";

export const WORKERS = 2;
export const CONCURRENCY = 4;

/** One object of a throughput run: where S3 has it, and the same file on disk. */
export interface ThroughputFile {
  ref: S3ObjectRef;
  path: string;
}

export interface Lane {
  corpus: Corpus;
  files: readonly ThroughputFile[];
  /** The bench's S3 process, whose CPU is counted apart. */
  s3Pid: number;
}

/** What a runner printed for one file, parsed only after the lane (off the clock). */
export interface Printed {
  path: string;
  metadata(): Record<string, unknown>;
}

/** What a contender does with one file, and the pool it keeps between rounds. */
export interface Runner {
  contender: ContenderName;
  means: PerFileMeans;
  /** Each file's output in the lane's order, from runners whose processes outlive a file. */
  printed?: Printed[];
  task(file: ThroughputFile): Promise<void>;
  /** The engine's: its workers' CPU by phase over the lane. */
  breakdown?: () => WorkerCpuBreakdown;
  close(): Promise<void>;
}

/**
 * Every runner over the lane's files, `concurrency` in flight, in `rounds`
 * rounds: each round, each runner in turn takes the same slice of the files,
 * so a load that shifts while the lane runs (the machine may be shared)
 * weighs on every contender alike and their ratios stay meaningful.
 */
export async function interleaved(
  lane: Lane,
  runners: readonly Runner[],
  rounds: number,
): Promise<Throughput[]> {
  const seconds = runners.map(() => 0);
  const cpu = runners.map((): CpuSplit => ({ nodeMs: 0, exiftoolMs: 0, s3Ms: 0 }));
  const per = Math.ceil(lane.files.length / rounds);
  for (let round = 0; round < rounds; round++) {
    const slice = lane.files.slice(round * per, (round + 1) * per);
    for (const [index, runner] of runners.entries()) {
      let next = 0;
      const before = cpuSnapshot(lane.s3Pid);
      const started = performance.now();
      const inFlight = async (): Promise<void> => {
        while (next < slice.length) await runner.task(slice[next++]);
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, inFlight));
      seconds[index] += (performance.now() - started) / 1000;
      const used = cpuSince(before, cpuSnapshot(lane.s3Pid));
      cpu[index].nodeMs += used.nodeMs;
      cpu[index].exiftoolMs += used.exiftoolMs;
      cpu[index].s3Ms += used.s3Ms;
    }
  }
  const n = lane.files.length;
  return runners.map((runner, index) => ({
    contender: runner.contender,
    corpus: lane.corpus,
    files: n,
    filesPerSecond: n / seconds[index],
    cpuMsPerFile: {
      nodeMs: cpu[index].nodeMs / n,
      exiftoolMs: cpu[index].exiftoolMs / n,
      s3Ms: cpu[index].s3Ms / n,
    },
    perFile: runner.means.means(),
  }));
}

export class PerFileMeans {
  private readonly sums: Required<PerFile> = {
    requests: 0,
    bytesRead: 0,
    queuedMs: 0,
    workerMs: 0,
    s3WaitMs: 0,
  };
  private count = 0;
  private timed = false;

  add(stats: { requests: number; bytesRead: number }, timing?: ExtractionTiming): void {
    this.count++;
    this.sums.requests += stats.requests;
    this.sums.bytesRead += stats.bytesRead;
    if (!timing) return;
    this.timed = true;
    this.sums.queuedMs += timing.queuedMs;
    this.sums.workerMs += timing.workerMs;
    this.sums.s3WaitMs += timing.s3WaitMs;
  }

  means(): PerFile {
    const n = Math.max(this.count, 1);
    const { requests, bytesRead, queuedMs, workerMs, s3WaitMs } = this.sums;
    const counts = { requests: requests / n, bytesRead: bytesRead / n };
    if (!this.timed) return counts;
    return { ...counts, queuedMs: queuedMs / n, workerMs: workerMs / n, s3WaitMs: s3WaitMs / n };
  }
}

/**
 * A pool warmed as a running function's would be, untimed: each worker has
 * served an object per preparation step of its parent (one per object: each
 * format module, then huge pages), and one more, during which the last step
 * ends, so it is done preparing and no step's CPU falls in the measured
 * objects; the cold start shows the objects before.
 */
async function warmExtractor(
  s3: S3Client,
  lane: Lane,
  range: Partial<RangeReadOptions>,
  env?: NodeJS.ProcessEnv,
): Promise<Extractor> {
  const extractor = new Extractor({ s3, workers: WORKERS, range, env });
  const first = lane.files.slice(0, WORKERS);
  for (let round = 0; round <= preparationSteps(); round++)
    await Promise.all(first.map(({ ref }) => extractor.extract(ref)));
  return extractor;
}

/** What one file cost a runner, and what it printed. */
interface Measured {
  stats: { requests: number; bytesRead: number };
  timing: ExtractionTiming;
  metadata: () => Record<string, unknown>;
}

/** A runner that records each file's cost and output as `measure` reports them. */
function recordingRunner(
  contender: ContenderName,
  measure: (file: ThroughputFile) => Promise<Measured>,
  close: () => Promise<void>,
): Runner {
  const means = new PerFileMeans();
  const printed: Printed[] = [];
  return {
    contender,
    means,
    printed,
    async task(file) {
      const { stats, timing, metadata } = await measure(file);
      means.add(stats, timing);
      printed.push({ path: file.path, metadata });
    },
    close,
  };
}

export async function engineRunner(
  s3: S3Client,
  lane: Lane,
  range: Partial<RangeReadOptions> = {},
): Promise<Runner> {
  const recorder = new BreakdownRecorder();
  const extractor = await warmExtractor(s3, lane, range, recorder.env);
  recorder.reset();
  const runner = recordingRunner(
    "engine",
    async ({ ref }) => {
      const { timing, stats, metadata } = await extractor.extract(ref);
      return { stats, timing, metadata: () => metadata };
    },
    async () => {
      await extractor.close();
      recorder.close();
    },
  );
  return { ...runner, breakdown: () => recorder.read() };
}

/** The engine's pool and worker code on local files: what the engine would do with a free S3. */
export async function ceilingRunner(
  s3: S3Client,
  lane: Lane,
  range: Partial<RangeReadOptions> = {},
): Promise<Runner> {
  const extractor = await warmExtractor(s3, lane, range);
  return recordingRunner(
    "ceiling",
    async ({ ref, path }) => {
      const called = performance.now();
      const source = new LocalFileSource(path);
      try {
        const timing = { queuedMs: 0, workerMs: 0, s3WaitMs: 0 };
        const { json } = await extractor.pool.run(async (worker) => {
          const leased = performance.now();
          timing.queuedMs = leased - called;
          const output = await worker.extract({
            source,
            ...splitKey(ref),
            args: [],
            timeoutMs: 60_000,
          });
          timing.workerMs = performance.now() - leased;
          return output;
        });
        return { stats: source.stats, timing, metadata: () => json?.value ?? {} };
      } finally {
        await source.close();
      }
    },
    () => extractor.close(),
  );
}

/**
 * The design before isolation, on local files: one warm `exiftool -stay_open`
 * per worker, the ceiling's number of workers and files in flight, no fork per
 * file and no S3. ExifTool reads the files itself, so no bytes are counted.
 */
export async function warmUnisolatedRunner(lane: Lane): Promise<Runner> {
  const processes = Array.from({ length: WORKERS }, () => new StayOpenExiftool());
  // warm as a long-running process is, untimed: each has met every file of
  // the lane once, so none compiles a format's module while it is measured
  // (it is the limit, not a contender paying for its first files)
  const distinct = [...new Set(lane.files.map((file) => file.path))];
  await Promise.all(
    processes.map(async (p) => {
      for (const path of distinct) await p.json(path);
    }),
  );
  const idle = [...processes];
  const limit = concurrencyLimit(WORKERS);
  return recordingRunner(
    "warm-unisolated",
    async ({ path }) => {
      const called = performance.now();
      return limit(async () => {
        // the limit leaves at most WORKERS tasks here, so one is always idle
        const exiftool = idle.pop()!;
        const leased = performance.now();
        try {
          const text = await exiftool.json(path);
          const timing = {
            queuedMs: leased - called,
            workerMs: performance.now() - leased,
            s3WaitMs: 0,
          };
          return {
            stats: { requests: 0, bytesRead: 0 },
            timing,
            metadata: () => jsonEntries(text)[0] ?? {},
          };
        } finally {
          idle.push(exiftool);
        }
      });
    },
    async () => {
      await Promise.all(processes.map((p) => p.close()));
    },
  );
}

/**
 * Each output of a lane against a fresh `exiftool -json FILE` of the same
 * file: equal whatever came before in that process, or not.
 */
export async function checkAgainstFresh(
  printed: readonly Printed[],
  fresh: (path: string) => Promise<Record<string, unknown>>,
): Promise<FreshCheck> {
  const check: FreshCheck = { checked: printed.length, differing: 0, files: [] };
  for (const { path, metadata } of printed) {
    const tags = differingTags(metadata(), await fresh(path));
    if (!tags.length) continue;
    check.differing++;
    const file = basename(path);
    const seen = check.files.find((f) => f.file === file);
    if (seen) seen.tags = [...new Set([...seen.tags, ...tags])].sort();
    else check.files.push({ file, tags });
  }
  return check;
}

/** A design that starts a new exiftool per file: nothing to keep between files. */
export function contenderRunner(contender: Contender): Runner {
  const means = new PerFileMeans();
  return {
    contender: contender.name,
    means,
    async task({ ref }) {
      means.add(await contender.run(ref));
    },
    close: async () => undefined,
  };
}
