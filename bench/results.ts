// The shape of bench/results/latest.json, and the targets of issue #6 worked
// out from it. Pure: the reports and the tests use it without running anything.
import type { ContenderName } from "./contenders/contender";
import type { CpuSplit } from "./cpu-time";
import type { WorkerCpuBreakdown } from "./worker-breakdown";
import { DEFAULT_RANGE_READ_OPTIONS } from "../function/ranges/s3-range-source";

export type FileGroup = "large" | "samples";

export interface Row {
  file: string;
  group: FileGroup;
  size: number;
  contender: ContenderName;
  bytesRead: number;
  requests: number;
  wallMs: number;
  peakRssBytes: number;
  /** Metadata equals local-file exiftool with the same options, local-file tags aside. */
  equal: boolean;
  /** The tags that differ, when not equal. */
  differing?: string[];
  error?: string;
}

export interface Touched {
  file: string;
  bytesTouched: number;
}

/** The files a throughput run cycles through. */
export type Corpus = "samples" | "photos";

/** Means per file of a throughput run; the timings are the engine's and ceiling's only. */
export interface PerFile {
  requests: number;
  bytesRead: number;
  /** Waiting for a free worker. */
  queuedMs?: number;
  /** Holding a worker: from the command sent to the output complete. */
  workerMs?: number;
  /** The part of workerMs with a request to S3 in flight. */
  s3WaitMs?: number;
}

/** A throughput lane's outputs, in its order, against a fresh `exiftool -json FILE` of each. */
export interface FreshCheck {
  checked: number;
  /** Outputs with any tag not as the fresh run printed it (local-file tags aside). */
  differing: number;
  /** Each file that differed at least once, with the tags that did. */
  files: { file: string; tags: string[] }[];
}

export interface Throughput {
  contender: ContenderName;
  corpus: Corpus;
  files: number;
  filesPerSecond: number;
  /** CPU used per file by this Node process, the ExifTool processes and the S3 process. */
  cpuMsPerFile: CpuSplit;
  perFile: PerFile;
  /** For the engine, ceiling and warm-unisolated: their outputs in the lane's order. */
  fresh?: FreshCheck;
  /** For the engine: its ExifTool CPU per object by phase. */
  breakdown?: WorkerCpuBreakdown;
}

/** One camera photo read by the engine as on Lambda (its event's size announced). */
export interface PhotoRead {
  file: string;
  size: number;
  requests: number;
  bytesRead: number;
  wallMs: number;
  /** The ranges ExifTool touched in the local file, [start, end). */
  touchedRanges: [number, number][];
}

/** A new Node process loading dist/function/handler.js, up to the first stored result. */
export interface ColdStart {
  /** Process spawn until the first line of the invoking script runs. */
  nodeBootMs: number;
  /** require() of the bundle: configuration, clients, and the first worker's spawn. */
  initMs: number;
  /** The first invocation, one small object, until its result is stored. */
  firstResultMs: number;
  /** Spawn to stored result. */
  totalMs: number;
  /** One ExifTool worker from spawn to its answer to -ver, measured apart. */
  workerReadyMs: number;
  /** That worker's first extraction of the same object from disk, then its second. */
  firstParseMs: number;
  warmParseMs: number;
  /** Its first ten extractions, while its parent prepares: the format modules, then huge pages, one step per object. */
  firstTenMs: number;
  /** Ten extractions once it has loaded all of them. */
  lastTenMs: number;
  /** How many files the parent preloads (worker.pl's FORMAT_MODULES: format modules, XMP2.pl, Archive::Zip). */
  formatModules: number;
  /** The parent's CPU over all those extractions: mostly its preparation steps. */
  parentCpuMs: number;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  perl: string;
  exiftool: string;
  date: string;
  /** 1-minute load average when the run started and ended: the machine may be shared. */
  loadAverage: [number, number];
}

export interface Settings {
  mode: "quick" | "full";
  latencyMs: number;
  bytesPerSecond: number;
  /** Engine range-read options other than its defaults (an experiment, when set). */
  engineRange: Record<string, number>;
  /** The two objects the flat-memory target compares: small, then large. */
  rssPair: [string, string];
}

export interface Results {
  machine: Machine;
  settings: Settings;
  rows: Row[];
  touched: Touched[];
  throughput: Throughput[];
  photos: PhotoRead[];
  coldStart?: ColdStart;
}

export const CONTENDERS: readonly ContenderName[] = ["engine", "stream", "download"];

/** Throughput contenders that read the local files, not S3. */
export const LOCAL_CONTENDERS: readonly ContenderName[] = ["ceiling", "warm-unisolated"];

/** One throughput lane's files/s side by side, and the ratios between them. */
export interface IsolationCost {
  corpus: Corpus;
  files: number;
  engine: number;
  ceiling: number;
  warmUnisolated: number;
  stream: number;
  /** ceiling ÷ warm-unisolated: local files, isolated or not (0 when either is missing). */
  isolation: number;
  engineOfCeiling: number;
  engineOfWarm: number;
  engineOverStream: number;
  /** ExifTool CPU per file, engine ÷ warm-unisolated (0 when either is missing). */
  cpuEngineOfWarm: number;
}

/** Per lane: what a fresh ExifTool per object costs, next to the engine's other ratios. */
export function isolationCosts({ throughput }: Results): IsolationCost[] {
  const corpora = [...new Set(throughput.map((t) => t.corpus))];
  return corpora.map((corpus) => {
    const lane = throughput.filter((t) => t.corpus === corpus);
    const rate = (name: ContenderName): number =>
      lane.find((t) => t.contender === name)?.filesPerSecond ?? 0;
    const ratio = (a: number, b: number): number => (a && b ? a / b : 0);
    const [engine, ceiling, warmUnisolated, stream] = (
      ["engine", "ceiling", "warm-unisolated", "stream"] as const
    ).map(rate);
    const cpu = (name: ContenderName): number =>
      lane.find((t) => t.contender === name)?.cpuMsPerFile.exiftoolMs ?? 0;
    return {
      corpus,
      files: lane[0].files,
      engine,
      ceiling,
      warmUnisolated,
      stream,
      isolation: ratio(ceiling, warmUnisolated),
      engineOfCeiling: ratio(engine, ceiling),
      engineOfWarm: ratio(engine, warmUnisolated),
      engineOverStream: ratio(engine, stream),
      cpuEngineOfWarm: ratio(cpu("engine"), cpu("warm-unisolated")),
    };
  });
}
export const SLACK_BYTES = 64 * 1024;

export interface Total {
  contender: ContenderName;
  files: number;
  bytesRead: number;
  requests: number;
  wallMs: number;
  maxPeakRssBytes: number;
  equal: number;
}

export function totals(rows: readonly Row[], group: FileGroup): Total[] {
  return CONTENDERS.map((contender) => {
    const mine = rows.filter((row) => row.group === group && row.contender === contender);
    return {
      contender,
      files: mine.length,
      bytesRead: sum(mine.map((row) => row.bytesRead)),
      requests: sum(mine.map((row) => row.requests)),
      wallMs: sum(mine.map((row) => row.wallMs)),
      maxPeakRssBytes: Math.max(0, ...mine.map((row) => row.peakRssBytes)),
      equal: mine.filter((row) => row.equal).length,
    };
  });
}

export interface Target {
  name: string;
  goal: string;
  actual: string;
  met: boolean;
}

/** The four targets of issue #6, as measured. */
export function targets(results: Results): Target[] {
  const { rows, touched, throughput, settings } = results;
  const large = totals(rows, "large");
  const engine = large.find((t) => t.contender === "engine")!;
  const stream = large.find((t) => t.contender === "stream")!;
  const share = stream.bytesRead ? engine.bytesRead / stream.bytesRead : Infinity;

  const over = boundMisses(results);
  const largeFiles = boundRows(rows).length;

  const rate = (name: ContenderName): number =>
    throughput.find((t) => t.contender === name && t.corpus === "samples")?.filesPerSecond ?? 0;
  const speedup = rate("stream") ? rate("engine") / rate("stream") : 0;
  const ofCeiling = rate("ceiling") ? rate("engine") / rate("ceiling") : 0;
  const oneGet = results.photos.length
    ? results.photos.filter((p) => p.requests === 1).length / results.photos.length
    : 0;

  const peak = (file: string): number =>
    rows.find((r) => r.file === file && r.contender === "engine")?.peakRssBytes ?? 0;
  const [small, big] = settings.rssPair;
  const growth = peak(small) ? peak(big) / peak(small) - 1 : Infinity;

  return [
    {
      name: "Large files: engine bytes / stream bytes",
      goal: "≤ 1%",
      actual: percent(share),
      met: share <= 0.01,
    },
    {
      name: `Large files over ${bytes(WHOLE_OBJECT_BYTES)}: engine bytes ≤ 2 × touched + 64 KiB`,
      goal: `all ${largeFiles} files`,
      actual: over.length
        ? `${largeFiles - over.length} of ${largeFiles}; over: ${over.join(", ")}`
        : `all ${largeFiles}`,
      met: over.length === 0 && touched.length > 0,
    },
    {
      name: "Small files: engine files/s ÷ stream files/s",
      goal: "≥ 10×",
      actual: `${speedup.toFixed(1)}× (${rate("engine").toFixed(1)} vs ${rate("stream").toFixed(1)} files/s)`,
      met: speedup >= 10,
    },
    {
      name: "Small files: engine files/s ÷ ceiling files/s",
      goal: "≥ 80%",
      actual: `${percent(ofCeiling)} (${rate("engine").toFixed(1)} vs ${rate("ceiling").toFixed(1)} files/s)`,
      met: ofCeiling >= 0.8,
    },
    {
      name: `Camera photos read in one GET (${results.photos.length} photos)`,
      goal: "≥ 90%",
      actual: percent(oneGet),
      met: oneGet >= 0.9,
    },
    {
      name: `Engine peak RSS: ${big} vs ${small}`,
      goal: "within 20%",
      actual: `${growth >= 0 ? "+" : ""}${percent(growth)} (${mib(peak(big))} vs ${mib(peak(small))})`,
      met: Math.abs(growth) <= 0.2,
    },
  ];
}

/**
 * Objects up to this size are read whole in one GET (see the engine's range
 * options): by design above the touched bound, so the bound covers larger ones.
 */
export const WHOLE_OBJECT_BYTES = DEFAULT_RANGE_READ_OPTIONS.wholeObjectBytes;

function boundRows(rows: readonly Row[]): Row[] {
  return rows.filter(
    (r) => r.group === "large" && r.contender === "engine" && r.size > WHOLE_OBJECT_BYTES,
  );
}

/** Large files where the engine read more than twice the touched bytes plus the slack. */
export function boundMisses({ rows, touched }: Results): string[] {
  return boundRows(rows)
    .filter((r) => {
      const floor = touched.find((t) => t.file === r.file)?.bytesTouched;
      return floor === undefined || r.bytesRead > 2 * floor + SLACK_BYTES;
    })
    .map((r) => r.file);
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

export function percent(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  const value = ratio * 100;
  return `${value < 0.1 && value > -0.1 ? value.toPrecision(2) : value.toFixed(1)}%`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Bytes for people: B, KiB, MiB, GiB. */
export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  if (count < 1024 ** 3) return `${(count / 1024 / 1024).toFixed(1)} MiB`;
  return `${(count / 1024 ** 3).toFixed(2)} GiB`;
}
