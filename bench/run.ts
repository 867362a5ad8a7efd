// npm run bench [-- --quick]: the contenders side by side on the same files
// against the same (slowed) S3, then bench/results/latest.{json,md,svg}.
import { createReadStream, readFileSync } from "node:fs";
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
import { startBenchS3 } from "./s3";
import { contenderThroughput, engineThroughput } from "./throughput";
import { TouchMeter } from "./touched";

const BUCKET = "bench";
const RESULTS_DIR = join(__dirname, "results");

interface RunOptions {
  quick: boolean;
  latencyMs: number;
  bytesPerSecond: number;
  engineRange: Partial<RangeReadOptions>;
}

function parseArgs(argv: readonly string[]): RunOptions {
  const options: RunOptions = {
    quick: false,
    latencyMs: 20,
    bytesPerSecond: 80e6,
    engineRange: {},
  };
  for (const arg of argv) {
    const [name, value] = arg.split("=");
    if (name === "--quick") options.quick = true;
    else if (name === "--latency-ms" && value) options.latencyMs = Number(value);
    else if (name === "--mbps" && value) options.bytesPerSecond = Number(value) * 1e6;
    else if (name === "--block-kib" && value) options.engineRange.blockSize = Number(value) * 1024;
    else if (name === "--first-read-kib" && value)
      options.engineRange.firstReadBytes = Number(value) * 1024;
    else
      throw new Error(
        `unknown argument ${arg} (known: --quick, --latency-ms=N, --mbps=N, --block-kib=N, --first-read-kib=N)`,
      );
  }
  return options;
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
      const run = await contender.run({ bucket: BUCKET, key: file.key });
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

/**
 * Local-file exiftool output for one file, per option set, computed once.
 * One process per file: ExifTool carries state from file to file within a
 * process (XMP.xml gains AutoFocus after the sample before it), which a
 * one-file contender would then be blamed for.
 */
function referenceFor(path: string) {
  const byOptions = new Map<string, Promise<Record<string, unknown>>>();
  return (options: readonly string[]): Promise<Record<string, unknown>> => {
    const id = options.join(" ");
    if (!byOptions.has(id)) {
      byOptions.set(
        id,
        localExiftool([path], options).then((map) => [...map.values()][0] ?? {}),
      );
    }
    return byOptions.get(id)!;
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
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
  const bench = await startBenchS3(options, [BUCKET]);
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

    const refs = Array.from({ length: throughputFiles }, (_, i) => ({
      bucket: BUCKET,
      key: samples[i % samples.length],
    }));
    log(`throughput: ${refs.length} files`);
    results.throughput.push(await engineThroughput(s3, refs, options.engineRange));
    results.throughput.push(await contenderThroughput(contenders[1], refs));
    for (const t of results.throughput)
      log(`${t.contender}: ${t.filesPerSecond.toFixed(1)} files/s`);
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

async function measureLarge(
  context: { meter: TouchMeter; contenders: Contender[]; results: Results },
  file: LargeFile,
  bench: Awaited<ReturnType<typeof startBenchS3>>,
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

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
