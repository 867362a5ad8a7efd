// What a million objects cost on Lambda, from a run's measured durations and
// requests: GB-seconds at the stack's default memory, GET requests, and their
// list prices. The same memory for every design, so only the time differs.
import type { ContenderName } from "../contenders/contender";
import type { Results } from "../results";

/** us-east-1 list prices (aws.amazon.com/lambda/pricing, /s3/pricing), as of 2026-11-26. */
export const PRICES = {
  region: "us-east-1",
  date: "2026-11-26",
  /** Lambda arm64, first tier (up to 7.5 billion GB-s a month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** S3 Standard GET (and HEAD) per 1,000 requests. */
  s3GetPer1000: 0.0004,
};

/** The stack's default memorySize (Pulumi.dev.yaml). */
export const MEMORY_MB = 1024;

export interface CostRow {
  mix: string;
  contender: ContenderName;
  /** Lambda seconds one object keeps a 1 GB function busy. */
  secondsPerObject: number;
  gbSecondsPerMillion: number;
  getsPerMillion: number;
  lambdaUsd: number;
  s3Usd: number;
}

const DESIGNS: readonly ContenderName[] = ["engine", "stream", "download"];

/**
 * Photo mix: the photo throughput lane (4 in flight on one instance, so a
 * second of it serves filesPerSecond objects). Video mix: the 1 GiB QuickTime
 * files one at a time, as one object per invocation would be.
 */
export function costRows(results: Results): CostRow[] {
  const rows: CostRow[] = [];
  const add = (mix: string, contender: ContenderName, seconds: number, gets: number): void => {
    const gbSeconds = (MEMORY_MB / 1024) * seconds * 1e6;
    rows.push({
      mix,
      contender,
      secondsPerObject: seconds,
      gbSecondsPerMillion: gbSeconds,
      getsPerMillion: gets * 1e6,
      lambdaUsd: gbSeconds * PRICES.lambdaArmPerGbSecond,
      s3Usd: ((gets * 1e6) / 1000) * PRICES.s3GetPer1000,
    });
  };
  for (const contender of DESIGNS) {
    const lane = results.throughput.find((t) => t.corpus === "photos" && t.contender === contender);
    if (lane) add("photos", contender, 1 / lane.filesPerSecond, lane.perFile.requests);
  }
  const videos = results.rows.filter(
    (r) => r.group === "large" && r.file.startsWith("moov-") && r.size > 64 * 1024 * 1024,
  );
  for (const contender of DESIGNS) {
    const mine = videos.filter((r) => r.contender === contender && !r.error);
    if (!mine.length) continue;
    const mean = (f: (r: (typeof mine)[number]) => number): number =>
      mine.reduce((s, r) => s + f(r), 0) / mine.length;
    add(
      "large videos",
      contender,
      mean((r) => r.wallMs) / 1000,
      mean((r) => r.requests),
    );
  }
  return rows;
}
