// npm run bench [-- --quick]: the contenders side by side on the same files
// against the same (slowed) S3, then bench/results/latest.{json,md,svg}.
import { execFileSync } from "node:child_process";
import { createReadStream, readFileSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { RangeReadOptions } from "../function/ranges/s3-range-source";
import { downloadContender } from "./contenders/download";
import { engineContender } from "./contenders/engine";
import { streamContender } from "./contenders/stream";
import type { Contender } from "./contenders/contender";
import {
  CORPUS_DIR,
  RSS_BASELINE_SIZE,
  largeFiles,
  materialize,
  sampleFiles,
  type LargeFile,
} from "./corpus";
import { spawnExiftool } from "./exiftool-process";
import { describeMachine } from "./machine";
import { differingTags, localExiftool } from "./reference";
import { renderMarkdown } from "./report/markdown";
import { renderSvg } from "./report/svg";
import { bytes, targets, type FileGroup, type Results, type Row, type Settings } from "./results";
import { measureColdStart } from "./cold-start";
import { Extractor } from "../function/extractor";
import { startBenchS3, type BenchS3 } from "./s3";
import {
  ceilingRunner,
  checkAgainstFresh,
  contenderRunner,
  engineRunner,
  interleaved,
  warmUnisolatedRunner,
  type Lane,
  type ThroughputFile,
} from "./throughput";
import { TouchMeter } from "./touched";
import {
  integerOption,
  runCommand,
  runFromTerminal,
  terminal,
  type Parsed,
} from "../commands/command";

const BUCKET = "bench";
const RESULTS_BUCKET = "bench-results";
const RESULTS_DIR = join(__dirname, "results");
/** Throughput lanes alternate their contenders over this many slices of the files. */
const THROUGHPUT_ROUNDS = 5;
export const PHOTOS_DIR = join(__dirname, "..", "..", "shared", "corpus", "camera-photos");

interface RunOptions {
  quick: boolean;
  latencyMs: number;
  bytesPerSecond: number;
  engineRange: Partial<RangeReadOptions>;
}

const SPEC = {
  name: "npm run bench",
  usage: `usage: npm run bench -- [--quick] [--latency-ms=N] [--mbps=N] [--block-kib=N] [--first-read-kib=N] [--whole-object-kib=N]
  --quick               a short smoke run (fewer and smaller files)
  --latency-ms N        the slowed S3's time to first byte (default 20)
  --mbps N              its bytes per second per connection, in MB/s (default 80)
  --block-kib N, --first-read-kib N, --whole-object-kib N
                        the engine's range-read settings (default: the function's)
Progress on stderr; results in bench/results/ (latest.md, latest.json, latest.svg).`,
  options: {
    quick: { type: "boolean", default: false },
    "latency-ms": { type: "string" },
    mbps: { type: "string" },
    "block-kib": { type: "string" },
    "first-read-kib": { type: "string" },
    "whole-object-kib": { type: "string" },
  },
} as const;

type Values = Parsed<typeof SPEC.options>["values"];

function runOptions(values: Values): RunOptions {
  const kib = (name: "block-kib" | "first-read-kib" | "whole-object-kib") => {
    const text = values[name];
    return text === undefined ? undefined : integerOption(text, name, 1, 1 << 20, 0) * 1024;
  };
  const engineRange: Partial<RangeReadOptions> = {};
  const blockSize = kib("block-kib");
  const firstReadBytes = kib("first-read-kib");
  const wholeObjectBytes = kib("whole-object-kib");
  if (blockSize !== undefined) engineRange.blockSize = blockSize;
  if (firstReadBytes !== undefined) engineRange.firstReadBytes = firstReadBytes;
  if (wholeObjectBytes !== undefined) engineRange.wholeObjectBytes = wholeObjectBytes;
  return {
    quick: values.quick ?? false,
    latencyMs: integerOption(values["latency-ms"], "latency-ms", 0, 10_000, 20),
    bytesPerSecond: integerOption(values.mbps, "mbps", 1, 100_000, 80) * 1e6,
    engineRange,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** One file through the touch meter and every contender, each checked against its reference. */
async function measure(
  context: { meter: TouchMeter; contenders: Contender[]; results: Results },
  file: { key: string; path: string; size: number; group: FileGroup },
  references: (options: readonly string[]) => Promise<Record<string, unknown>>,
): Promise<void> {
  const { meter, contenders, results } = context;
  results.touched.push({ file: file.key, bytesTouched: await meter.measure(file.path) });
  for (const contender of contenders) {
    const base = { file: file.key, group: file.group, size: file.size, contender: contender.name };
    let row: Row;
    try {
      // as on Lambda, where the object's event announces its size
      const run = await contender.run({ bucket: BUCKET, key: file.key, announcedSize: file.size });
      const differing = differingTags(run.metadata, await references(contender.options));
      row = {
        ...base,
        bytesRead: run.bytesRead,
        requests: run.requests,
        wallMs: run.wallMs,
        peakRssBytes: run.peakRssBytes,
        equal: differing.length === 0,
        ...(differing.length ? { differing } : {}),
      };
    } catch (error) {
      row = { ...base, bytesRead: 0, requests: 0, wallMs: 0, peakRssBytes: 0, equal: false };
      row.error = String(error).slice(0, 300);
    }
    results.rows.push(row);
    log(
      `${file.key} ${contender.name}: ${bytes(row.bytesRead)} in ${row.requests} requests, ` +
        `${Math.round(row.wallMs)} ms${row.equal ? "" : row.error ? ` ERROR ${row.error}` : ` differs: ${row.differing?.join(",")}`}`,
    );
  }
}

const references = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Local-file exiftool output for one file, per option set, computed once per
 * run. One process per file: ExifTool carries state from file to file within
 * a process (XMP.xml gains AutoFocus after the sample before it), which a
 * one-file contender would then be blamed for.
 */
function referenceFor(path: string) {
  return (options: readonly string[]): Promise<Record<string, unknown>> => {
    const id = JSON.stringify([path, options]);
    if (!references.has(id)) {
      references.set(
        id,
        localExiftool([path], options).then((map) => [...map.values()][0] ?? {}),
      );
    }
    return references.get(id)!;
  };
}

async function main(options: RunOptions): Promise<void> {
  const scale = options.quick ? 1 / 20 : 1;
  const samples = sampleFiles(options.quick ? 10 : 1);
  const throughputFiles = options.quick ? 50 : 500;
  const large = largeFiles(scale);
  const rssPair: Settings["rssPair"] = [
    large.find((f) => f.synthetic.size === RSS_BASELINE_SIZE)!.key,
    large.filter((f) => f.synthetic.name.startsWith("moov-last")).at(-1)!.key,
  ];

  log(
    `${options.quick ? "quick" : "full"} run: ${samples.length} samples, ${large.length} large files`,
  );
  // the cold start loads the bundle as the image has it: build it first
  execFileSync("npm", ["run", "build"], { stdio: "inherit" });
  const bench = await startBenchS3(options, [BUCKET, RESULTS_BUCKET]);
  const meter = await TouchMeter.start();
  const s3: S3Client = bench.s3;
  const contenders = [
    engineContender(s3, options.engineRange),
    streamContender(s3),
    downloadContender(s3),
  ];
  const results: Results = {
    machine: describeMachine((await spawnExiftool(["-ver"]).done).stdout.trim()),
    settings: {
      mode: options.quick ? "quick" : "full",
      latencyMs: options.latencyMs,
      bytesPerSecond: options.bytesPerSecond,
      engineRange: { ...options.engineRange },
      rssPair,
    },
    rows: [],
    touched: [],
    throughput: [],
    photos: [],
  };
  const context = { meter, contenders, results };
  try {
    const samplePaths = samples.map((name) => join(CORPUS_DIR, name));
    for (const [index, name] of samples.entries()) {
      const body = readFileSync(samplePaths[index]);
      await bench.put(BUCKET, name, body);
      const file = {
        key: name,
        path: samplePaths[index],
        size: body.length,
        group: "samples" as const,
      };
      await measure(context, file, referenceFor(file.path));
    }

    for (const file of large) await measureLarge(context, file, bench);

    const photos = await measurePhotos(bench, meter, options.engineRange, results);

    const sampleFiles = samples.map((name, i) => ({
      ref: { bucket: BUCKET, key: name, announcedSize: readFileSync(samplePaths[i]).length },
      path: samplePaths[i],
    }));
    const lanes: [Lane, Contender[]][] = [
      [
        { corpus: "samples", files: cycle(sampleFiles, throughputFiles), s3Pid: bench.pid },
        [contenders[1]],
      ],
      [
        { corpus: "photos", files: cycle(photos, 2 * photos.length), s3Pid: bench.pid },
        [contenders[1], contenders[2]],
      ],
    ];
    for (const [lane, others] of lanes) {
      log(`throughput: ${lane.files.length} ${lane.corpus}`);
      const runners = [
        await engineRunner(s3, lane, options.engineRange),
        await ceilingRunner(s3, lane, options.engineRange),
        await warmUnisolatedRunner(lane),
        ...others.map(contenderRunner),
      ];
      try {
        const measured = await interleaved(lane, runners, THROUGHPUT_ROUNDS);
        for (const [index, runner] of runners.entries()) {
          if (runner.breakdown) measured[index].breakdown = runner.breakdown();
          if (!runner.printed) continue;
          const fresh = await checkAgainstFresh(runner.printed, (path) => referenceFor(path)([]));
          measured[index].fresh = fresh;
          log(
            `${lane.corpus} ${runner.contender}: ${fresh.differing} of ${fresh.checked} differ from a fresh exiftool`,
          );
        }
        results.throughput.push(...measured);
      } finally {
        for (const runner of runners) await runner.close();
      }
    }
    for (const t of results.throughput)
      log(`${t.corpus} ${t.contender}: ${t.filesPerSecond.toFixed(1)} files/s`);

    const cold = join(CORPUS_DIR, "ExifTool.jpg");
    const coldBody = readFileSync(cold);
    await bench.put(BUCKET, "cold/ExifTool.jpg", coldBody);
    results.coldStart = await measureColdStart({
      endpoint: bench.endpoint,
      path: cold,
      bucket: BUCKET,
      key: "cold/ExifTool.jpg",
      size: coldBody.length,
      resultsBucket: RESULTS_BUCKET,
    });
    log(`cold start: ${JSON.stringify(results.coldStart)}`);
  } finally {
    await meter.close();
    await bench.stop();
  }

  results.machine.loadAverage[1] = loadavg()[0];
  await mkdir(RESULTS_DIR, { recursive: true });
  // a smoke run must not replace the committed figures of a full one
  const name = options.quick ? "quick" : "latest";
  await writeFile(join(RESULTS_DIR, `${name}.json`), JSON.stringify(results, null, 2) + "\n");
  await writeFile(join(RESULTS_DIR, `${name}.md`), renderMarkdown(results));
  await writeFile(join(RESULTS_DIR, `${name}.svg`), renderSvg(results));
  for (const t of targets(results))
    log(`${t.met ? "met   " : "MISSED"} ${t.name}: ${t.actual} (goal ${t.goal})`);
  log(`wrote ${RESULTS_DIR}/${name}.{json,md,svg}`);
}

/** `files` repeated in order up to `count`. */
function cycle<T>(files: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => files[i % files.length]);
}

/**
 * Every camera photo through the engine one at a time, its size announced as
 * its event would: GETs and bytes per photo, and the ranges ExifTool touches.
 * The photos stay uploaded for the throughput lane.
 */
async function measurePhotos(
  bench: BenchS3,
  meter: TouchMeter,
  range: Partial<RangeReadOptions>,
  results: Results,
): Promise<ThroughputFile[]> {
  const files: ThroughputFile[] = [];
  const extractor = new Extractor({ s3: bench.s3, workers: 1, range });
  try {
    await extractor.exiftoolVersion();
    for (const name of readdirSync(PHOTOS_DIR).sort()) {
      const path = join(PHOTOS_DIR, name);
      const body = readFileSync(path);
      const key = `photos/${name}`;
      await bench.put(BUCKET, key, body);
      const ref = { bucket: BUCKET, key, announcedSize: body.length };
      const ranges = await meter.ranges(path);
      const { stats, timing } = await extractor.extract(ref);
      results.photos.push({
        file: name,
        size: body.length,
        requests: stats.requests,
        bytesRead: stats.bytesRead,
        wallMs: timing.queuedMs + timing.workerMs,
        touchedRanges: ranges,
      });
      files.push({ ref, path });
    }
  } finally {
    await extractor.close();
  }
  const one = results.photos.filter((p) => p.requests === 1).length;
  log(`photos: ${one} of ${results.photos.length} in one GET`);
  return files;
}

async function measureLarge(
  context: { meter: TouchMeter; contenders: Contender[]; results: Results },
  file: LargeFile,
  bench: BenchS3,
): Promise<void> {
  log(`${file.key}: generating (cached) and uploading ${bytes(file.synthetic.size)}`);
  const path = await materialize(file);
  // the emulator keeps objects in memory: one large object at a time
  await bench.put(BUCKET, file.key, createReadStream(path));
  try {
    const entry = { key: file.key, path, size: file.synthetic.size, group: "large" as const };
    await measure(context, entry, referenceFor(path));
  } finally {
    await bench.remove(BUCKET, file.key);
  }
}

runFromTerminal((argv) =>
  runCommand(SPEC, argv, terminal, async ({ values }) => {
    await main(runOptions(values));
    return 0;
  }),
);
