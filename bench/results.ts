// The shape of bench/results/latest.json, and the targets of issue #6 worked
// out from it. Pure: the reports and the tests use it without running anything.
import type { ContenderName } from "./contenders/contender";

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

export interface Throughput {
  contender: ContenderName;
  files: number;
  filesPerSecond: number;
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
}

export const CONTENDERS: readonly ContenderName[] = ["engine", "stream", "download"];
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
  const largeFiles = rows.filter((r) => r.group === "large" && r.contender === "engine").length;

  const rate = (name: ContenderName): number =>
    throughput.find((t) => t.contender === name)?.filesPerSecond ?? 0;
  const speedup = rate("stream") ? rate("engine") / rate("stream") : 0;

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
      name: "Large files: engine bytes ≤ 2 × touched + 64 KiB",
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
      name: `Engine peak RSS: ${big} vs ${small}`,
      goal: "within 20%",
      actual: `${growth >= 0 ? "+" : ""}${percent(growth)} (${mib(peak(big))} vs ${mib(peak(small))})`,
      met: Math.abs(growth) <= 0.2,
    },
  ];
}

/** Large files where the engine read more than twice the touched bytes plus the slack. */
export function boundMisses({ rows, touched }: Results): string[] {
  return rows
    .filter((r) => r.group === "large" && r.contender === "engine")
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
